"""Scoring criteria and scoring mode: admin API scoped to the organization, and the CLI."""

from __future__ import annotations

from shared.models import Criterion, Organization


def test_admin_manages_criteria_and_scoring_mode_of_their_organization(db, client, make_user, auth_headers):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)

    created = client.post("/criteria", headers=headers,
                          json={"name": "Greeting", "weight": 2, "description": "Says hello and names the company"})
    assert created.status_code == 201
    criterion = created.get_json()["criterion"]
    assert (criterion["name"], criterion["weight"], criterion["organizationId"]) == ("Greeting", 2.0,
                                                                                     admin.organization_id)
    assert client.post("/criteria", headers=headers, json={"name": "greeting"}).status_code == 409

    patched = client.patch(f"/criteria/{criterion['id']}", headers=headers, json={"weight": 3, "description": None})
    assert patched.status_code == 200 and patched.get_json()["criterion"]["weight"] == 3.0
    assert patched.get_json()["criterion"]["description"] is None

    mode = client.put("/criteria/scoring-mode", headers=headers, json={"scoringMode": "hundred"})
    assert mode.status_code == 200 and mode.get_json() == {"success": True, "scoringMode": "HUNDRED", "maxScore": 100}

    listing = client.get("/criteria", headers=auth_headers("EMPLOYEE", organization=admin.organization)).get_json()
    assert (listing["scoringMode"], [c["name"] for c in listing["criteria"]]) == ("HUNDRED", ["Greeting"])

    assert client.delete(f"/criteria/{criterion['id']}", headers=headers).status_code == 200
    assert client.get("/criteria", headers=headers).get_json()["criteria"] == []
    db.expire_all()
    assert db.get(Criterion, criterion["id"]).is_active is False  # archived: old scores keep their criterion
    assert client.post("/criteria", headers=headers, json={"name": "Greeting"}).status_code == 201


def test_criteria_of_another_organization_are_invisible_and_input_is_checked(client, make_user, auth_headers):
    mine, theirs = auth_headers("ADMIN"), auth_headers("ADMIN")
    foreign = client.post("/criteria", headers=theirs, json={"name": "Closing"}).get_json()["criterion"]

    assert client.patch(f"/criteria/{foreign['id']}", headers=mine, json={"weight": 5}).status_code == 404
    assert client.delete(f"/criteria/{foreign['id']}", headers=mine).status_code == 404
    assert client.get("/criteria", headers=mine).get_json()["criteria"] == []
    for body in ({}, {"name": ""}, {"name": "X", "weight": 0}, {"name": "X", "weight": "heavy"},
                 {"name": "X", "colour": "red"}):
        response = client.post("/criteria", headers=mine, json=body)
        assert response.status_code == 400 and response.get_json()["errors"], body
    assert client.put("/criteria/scoring-mode", headers=mine, json={"scoringMode": "FIVE"}).status_code == 400
    assert client.post("/criteria", headers=auth_headers("EMPLOYEE"), json={"name": "Y"}).status_code == 403


def test_criteria_cli_creates_lists_and_sets_the_scoring_mode(app, db):
    runner = app.test_cli_runner()
    org_id = runner.invoke(args=["orgs", "create", "--name", "Call Centre"]).output.strip()

    made = runner.invoke(args=["criteria", "create", "--organization-id", org_id, "--name", "Greeting",
                               "--weight", "2", "--description", "Says hello"])
    assert made.exit_code == 0, made.output
    criterion = db.get(Criterion, int(made.output.strip()))
    assert (criterion.name, criterion.weight, criterion.description) == ("Greeting", 2.0, "Says hello")

    listing = runner.invoke(args=["criteria", "list", "--organization-id", org_id])
    assert f"{criterion.id}\torg={org_id}\tGreeting\tweight=2\tSays hello" in listing.output

    duplicate = runner.invoke(args=["criteria", "create", "--organization-id", org_id, "--name", "greeting"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    bad_weight = runner.invoke(args=["criteria", "create", "--organization-id", org_id, "--name", "X",
                                     "--weight", "-1"])
    assert bad_weight.exit_code != 0 and "--weight" in bad_weight.output
    missing_org = runner.invoke(args=["criteria", "create", "--organization-id", "999", "--name", "X"])
    assert missing_org.exit_code != 0 and "does not exist" in missing_org.output

    assert runner.invoke(args=["criteria", "scoring-mode", "--organization-id", org_id, "--mode", "HUNDRED"]).exit_code == 0
    db.expire_all()
    assert db.get(Organization, int(org_id)).scoring_mode == "HUNDRED"
