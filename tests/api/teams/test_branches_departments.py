"""`/branches` and `/departments`: CRUD by ADMIN, reading by every role of the organization,
isolation between organizations, 409 on clashes and on deleting a team that is not empty."""

from __future__ import annotations

import pytest

from shared.models import Branch, Department, Organization


def _ok(response, status=200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_an_admin_creates_renames_moves_and_deletes_branches_and_departments(client, auth_headers):
    admin = auth_headers("ADMIN")
    north = _ok(client.post("/branches", json={"name": " North "}, headers=admin), 201)["branch"]
    south = _ok(client.post("/branches", json={"name": "South"}, headers=admin), 201)["branch"]
    assert north["name"] == "North" and north["departments"] == 0

    sales = _ok(client.post("/departments", json={"name": "Sales", "branchId": north["id"]}, headers=admin),
                201)["department"]
    assert (sales["branchId"], sales["members"]) == (north["id"], 0)
    # The same name in another branch is another department.
    _ok(client.post("/departments", json={"name": "Sales", "branchId": south["id"]}, headers=admin), 201)

    listed = _ok(client.get("/branches", headers=admin))["branches"]
    assert [(b["name"], b["departments"]) for b in listed] == [("North", 1), ("South", 1)]
    assert [d["branchId"] for d in _ok(client.get(f"/departments?branchId={north['id']}", headers=admin))
            ["departments"]] == [north["id"]]

    renamed = _ok(client.patch(f"/branches/{north['id']}", json={"name": "North-East"}, headers=admin))["branch"]
    assert renamed["name"] == "North-East"
    # Moving North's Sales to South, where a Sales exists, clashes; renamed on the way, it moves.
    clash = client.patch(f"/departments/{sales['id']}", json={"branchId": south["id"]}, headers=admin)
    assert clash.status_code == 409 and "name" in clash.get_json()["errors"]
    moved = _ok(client.patch(f"/departments/{sales['id']}", json={"branchId": south["id"], "name": "Sales 2"},
                             headers=admin))["department"]
    assert (moved["branchId"], moved["name"]) == (south["id"], "Sales 2")

    assert _ok(client.delete(f"/branches/{north['id']}", headers=admin))["deleted"] == north["id"]
    assert client.get(f"/branches/{north['id']}", headers=admin).status_code == 404
    assert _ok(client.delete(f"/departments/{sales['id']}", headers=admin))["deleted"] == sales["id"]


def test_names_are_unique_in_their_place_whatever_the_case(client, auth_headers):
    admin = auth_headers("ADMIN")
    branch = _ok(client.post("/branches", json={"name": "Main"}, headers=admin), 201)["branch"]
    response = client.post("/branches", json={"name": "main"}, headers=admin)
    assert response.status_code == 409 and response.get_json()["errors"] == {"name": "already taken"}
    _ok(client.post("/departments", json={"name": "Sales", "branchId": branch["id"]}, headers=admin), 201)
    response = client.post("/departments", json={"name": "SALES", "branchId": branch["id"]}, headers=admin)
    assert response.status_code == 409


def test_a_branch_with_departments_and_a_department_with_people_are_not_deleted(client, auth_headers, db,
                                                                               make_user):
    admin_user = make_user("ADMIN")
    admin = auth_headers(user=admin_user)
    branch = _ok(client.post("/branches", json={"name": "Main"}, headers=admin), 201)["branch"]
    department = _ok(client.post("/departments", json={"name": "Sales", "branchId": branch["id"]},
                                 headers=admin), 201)["department"]
    refused = client.delete(f"/branches/{branch['id']}", headers=admin)
    assert refused.status_code == 409 and "departments" in refused.get_json()["errors"]

    organization = db.get(Organization, admin_user.organization_id)
    manager = make_user("MANAGER", organization=organization)
    _ok(client.patch(f"/users/{manager.id}", json={"managedDepartmentId": department["id"]}, headers=admin))
    refused = client.delete(f"/departments/{department['id']}", headers=admin)
    assert refused.status_code == 409 and "users" in refused.get_json()["errors"]
    _ok(client.patch(f"/users/{manager.id}", json={"managedDepartmentId": None}, headers=admin))

    _ok(client.delete(f"/departments/{department['id']}", headers=admin))
    _ok(client.delete(f"/branches/{branch['id']}", headers=admin))
    db.expire_all()
    assert db.query(Department).count() == 0 and db.query(Branch).count() == 0


@pytest.mark.parametrize("role", ["MANAGER", "EMPLOYEE"])
def test_managers_and_employees_read_but_do_not_write(client, auth_headers, db, make_user, team_world, role):
    headers = auth_headers(role, organization=team_world.organization)
    assert len(_ok(client.get("/branches", headers=headers))["branches"]) == 2
    assert len(_ok(client.get("/departments", headers=headers))["departments"]) == 3
    north = team_world.branches["north"].id
    sales = team_world.departments["north-sales"].id
    assert _ok(client.get(f"/departments/{sales}", headers=headers))["department"]["members"] == 2
    for method, path, body in (("post", "/branches", {"name": "X"}), ("patch", f"/branches/{north}", {"name": "X"}),
                               ("delete", f"/branches/{north}", None),
                               ("post", "/departments", {"name": "X", "branchId": north}),
                               ("patch", f"/departments/{sales}", {"name": "X"}),
                               ("delete", f"/departments/{sales}", None)):
        assert getattr(client, method)(path, json=body, headers=headers).status_code == 403, (method, path)


def test_another_organizations_branches_and_departments_are_unknown(client, auth_headers, team_world):
    stranger = auth_headers("ADMIN")  # an ADMIN of another organization
    north = team_world.branches["north"].id
    sales = team_world.departments["north-sales"].id
    assert _ok(client.get("/branches", headers=stranger))["branches"] == []
    assert _ok(client.get("/departments", headers=stranger))["departments"] == []
    for method, path in (("get", f"/branches/{north}"), ("patch", f"/branches/{north}"),
                         ("delete", f"/branches/{north}"), ("get", f"/departments/{sales}"),
                         ("patch", f"/departments/{sales}"), ("delete", f"/departments/{sales}")):
        body = {"name": "Taken over"} if method == "patch" else None
        assert getattr(client, method)(path, json=body, headers=stranger).status_code == 404, (method, path)
    # Naming the other organization's branch in a body or a query is a 400 naming the field.
    response = client.post("/departments", json={"name": "Spy", "branchId": north}, headers=stranger)
    assert response.status_code == 400 and "branchId" in response.get_json()["errors"]
    response = client.get(f"/departments?branchId={north}", headers=stranger)
    assert response.status_code == 400 and "branchId" in response.get_json()["errors"]


def test_a_superadmin_acts_for_the_organization_it_names(client, auth_headers, team_world):
    superadmin = auth_headers("SUPERADMIN")
    organization_id = team_world.organization.id
    assert len(_ok(client.get(f"/branches?organizationId={organization_id}", headers=superadmin))["branches"]) == 2
    created = _ok(client.post(f"/branches?organizationId={organization_id}", json={"name": "West"},
                              headers=superadmin), 201)["branch"]
    assert created["organizationId"] == organization_id


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/branches", {"name": ""}, "name"), ("/branches", {"name": "x" * 201}, "name"), ("/branches", {}, "name"),
    ("/branches", {"name": "A", "extra": 1}, "extra"), ("/departments", {"name": "A"}, "branchId"),
    ("/departments", {"name": "A", "branchId": 0}, "branchId"),
    ("/departments", {"name": "A", "branchId": 2**31}, "branchId"),
    ("/departments", {"name": "A", "branchId": 999999}, "branchId"),
])
def test_bad_bodies_are_400_naming_the_field(client, auth_headers, path, body, field):
    response = client.post(path, json=body, headers=auth_headers("ADMIN"))
    assert response.status_code == 400, response.get_json()
    assert field in str(response.get_json()["errors"])
