"""A user's `departmentId` and a MANAGER's `managedDepartmentId`: set by an ADMIN over HTTP
(`POST/PATCH /users`) or from the shell (`flask users`), always a department of the user's
organization."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import User


def test_an_admin_puts_users_in_departments_of_their_organization(client, db, team_world):
    admin = team_world.admin_headers
    sales, support = team_world.departments["north-sales"].id, team_world.departments["north-support"].id
    created = client.post("/users", json={"email": "new@x.test", "password": "long-enough-pw", "role": "EMPLOYEE",
                                          "departmentId": sales}, headers=admin)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()["user"]
    assert (user["departmentId"], user["managedDepartmentId"]) == (sales, None)

    moved = client.patch(f"/users/{user['id']}", json={"departmentId": support}, headers=admin)
    assert moved.status_code == 200 and moved.get_json()["user"]["departmentId"] == support
    cleared = client.patch(f"/users/{user['id']}", json={"departmentId": None}, headers=admin)
    assert cleared.get_json()["user"]["departmentId"] is None
    listed = {row["id"]: row for row in client.get("/users", headers=admin).get_json()["users"]}
    assert listed[team_world.employees["201"].id]["departmentId"] == sales


def test_another_organizations_or_a_missing_department_is_400_naming_the_field(client, auth_headers, team_world,
                                                                              make_user):
    stranger_admin = make_user("ADMIN")
    stranger = auth_headers(user=stranger_admin)
    foreign = team_world.departments["north-sales"].id
    response = client.post("/users", json={"email": "spy@x.test", "password": "long-enough-pw",
                                           "departmentId": foreign}, headers=stranger)
    assert response.status_code == 400 and "departmentId" in response.get_json()["errors"]
    assert client.get("/users", headers=stranger).get_json()["users"][0]["email"] == stranger_admin.email  # not made
    for field in ("departmentId", "managedDepartmentId"):
        for value in (foreign, 999999, 0, "x"):
            response = client.patch(f"/users/{stranger_admin.id}", json={field: value}, headers=stranger)
            assert response.status_code == 400, (field, value, response.get_json())
            assert field in response.get_json()["errors"], (field, value)


def test_only_a_manager_is_limited_to_a_department_and_the_limit_ends_with_the_role(client, team_world, make_user):
    admin = team_world.admin_headers
    support = team_world.departments["north-support"].id
    employee = team_world.employees["201"]
    response = client.patch(f"/users/{employee.id}", json={"managedDepartmentId": support}, headers=admin)
    assert response.status_code == 400 and "managedDepartmentId" in response.get_json()["errors"]

    manager = make_user("MANAGER", organization=team_world.organization)
    limited = client.patch(f"/users/{manager.id}", json={"managedDepartmentId": support}, headers=admin)
    assert limited.get_json()["user"]["managedDepartmentId"] == support
    promoted = client.patch(f"/users/{manager.id}", json={"role": "ADMIN"}, headers=admin)
    assert promoted.status_code == 200 and promoted.get_json()["user"]["managedDepartmentId"] is None


def test_the_cli_creates_users_in_a_department_and_moves_them(app, db, team_world):
    runner = app.test_cli_runner()
    organization_id = str(team_world.organization.id)
    sales, support = team_world.departments["north-sales"].id, team_world.departments["north-support"].id
    made = runner.invoke(args=["users", "create", "--email", "cli@x.test", "--password", "long-enough-pw", "--role",
                               "MANAGER", "--organization-id", organization_id, "--department-id", str(sales),
                               "--managed-department-id", str(support)])
    assert made.exit_code == 0, made.output
    user_id = int(made.output.strip())
    user = db.scalar(select(User).where(User.id == user_id))
    assert (user.department_id, user.managed_department_id) == (sales, support)
    assert f"department={sales}" in runner.invoke(args=["users", "list", "--organization-id", organization_id]).output

    moved = runner.invoke(args=["users", "set-department", str(user_id), str(support)])
    assert moved.exit_code == 0, moved.output
    cleared = runner.invoke(args=["users", "set-department", str(user_id), "none"])
    assert cleared.exit_code == 0, cleared.output
    db.expire_all()
    assert db.get(User, user_id).department_id is None

    other = runner.invoke(args=["orgs", "create", "--name", "Elsewhere"]).output.strip()
    refused = runner.invoke(args=["users", "create", "--email", "cli2@x.test", "--password", "long-enough-pw",
                                  "--role", "EMPLOYEE", "--organization-id", other, "--department-id", str(sales)])
    assert refused.exit_code != 0 and "--department-id" in refused.output
    refused = runner.invoke(args=["users", "set-department", str(user_id), "abc"])
    assert refused.exit_code != 0 and "DEPARTMENT_ID" in refused.output
