from __future__ import annotations

from sqlalchemy import select

from shared.models import Organization, User


def test_orgs_and_users_can_be_created_and_listed(app, db):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["orgs", "create", "--name", "Call Centre", "--sipuni-user", "060957",
                                  "--sipuni-secret", "0.fakesecret1"])
    assert created.exit_code == 0, created.output
    org_id = int(created.output.strip())
    org = db.get(Organization, org_id)
    assert org.sipuni_user == "060957"  # leading zero kept

    made = runner.invoke(args=["users", "create", "--email", "Boss@Example.test", "--password", "long-enough-pw",
                               "--role", "admin", "--organization-id", str(org_id), "--ext-code", "210"])
    assert made.exit_code == 0, made.output
    user = db.scalar(select(User).where(User.id == int(made.output.strip())))
    assert (user.email, user.role, user.ext_code) == ("boss@example.test", "ADMIN", "210")

    listing = runner.invoke(args=["users", "list"])
    assert "boss@example.test" in listing.output and "ext=210" in listing.output
    orgs = runner.invoke(args=["orgs", "list"])
    assert "Call Centre" in orgs.output and "0.fakesecret1" not in orgs.output


def test_duplicate_ext_code_in_one_organization_is_refused(app):
    runner = app.test_cli_runner()
    org_id = runner.invoke(args=["orgs", "create", "--name", "A"]).output.strip()
    base = ["users", "create", "--password", "long-enough-pw", "--role", "EMPLOYEE", "--organization-id", org_id,
            "--ext-code", "210"]
    assert runner.invoke(args=base + ["--email", "a@x.test"]).exit_code == 0
    second = runner.invoke(args=base + ["--email", "b@x.test"])
    assert second.exit_code != 0 and "already exists" in second.output


def test_user_needs_an_existing_organization(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "c@x.test", "--password",
                                                "long-enough-pw", "--role", "ADMIN", "--organization-id", "999"])
    assert result.exit_code != 0 and "does not exist" in result.output
