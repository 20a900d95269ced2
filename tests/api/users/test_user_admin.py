"""POST/PATCH/DELETE /users: an ADMIN manages their own organization, a SUPERADMIN anyone."""

from __future__ import annotations

from datetime import datetime, timezone

from shared.models import CallLogEntry, Organization, User

PASSWORD = "a-long-enough-password"


def _new(client, headers, **fields):
    body = {"email": "aziza@example.test", "password": PASSWORD, "role": "EMPLOYEE", "extCode": "201",
            "firstName": "Aziza", "lastName": "Karimova", **fields}
    return client.post("/users", json=body, headers=headers)


def test_admin_creates_updates_and_deactivates_a_user_of_their_organization(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    created = _new(client, headers)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()["user"]
    assert (user["organizationId"], user["role"], user["extCode"], user["fullName"], user["firstName"]) == \
        (admin.organization_id, "EMPLOYEE", "201", "Aziza Karimova", "Aziza")
    assert PASSWORD not in created.get_data(as_text=True) and "passwordHash" not in user
    login = client.post("/auth/login", json={"email": "AZIZA@example.test", "password": PASSWORD})
    assert login.status_code == 200

    patched = client.patch(f"/users/{user['id']}", json={"role": "MANAGER", "extCode": "202", "lastName": "K."},
                           headers=headers)
    assert patched.status_code == 200, patched.get_json()
    assert (patched.get_json()["user"]["role"], patched.get_json()["user"]["extCode"],
            patched.get_json()["user"]["fullName"]) == ("MANAGER", "202", "Aziza K.")

    old_token = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    assert client.get("/calls", headers=old_token).status_code == 401  # a change of role ends the user's tokens
    login = client.post("/auth/login", json={"email": "aziza@example.test", "password": PASSWORD})
    token = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    assert client.get("/calls", headers=token).status_code == 200  # as a MANAGER now
    deleted = client.delete(f"/users/{user['id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.get_json()["user"]["isActive"] is False
    assert client.get("/calls", headers=token).status_code == 401  # the user's tokens stop working at once
    db.expire_all()
    assert db.get(User, user["id"]).is_active is False  # kept, with its calls, but inactive
    refused = client.post("/auth/login", json={"email": "aziza@example.test", "password": PASSWORD})
    assert refused.status_code == 401
    reactivated = client.patch(f"/users/{user['id']}", json={"isActive": True}, headers=headers)
    assert reactivated.get_json()["user"]["isActive"] is True
    assert client.post("/auth/login", json={"email": "aziza@example.test", "password": PASSWORD}).status_code == 200


def test_ext_code_and_email_are_unique_with_409(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    assert _new(client, headers).status_code == 201
    taken_ext = _new(client, headers, email="other@example.test")
    assert taken_ext.status_code == 409 and "extCode" in taken_ext.get_json()["errors"]
    taken_email = _new(client, headers, extCode="299")
    assert taken_email.status_code == 409 and "email" in taken_email.get_json()["errors"]
    assert taken_email.get_json()["message"] == "This email cannot be used; choose another"
    second = _new(client, headers, email="b@example.test", extCode="202").get_json()["user"]
    clash = client.patch(f"/users/{second['id']}", json={"extCode": "201"}, headers=headers)
    assert clash.status_code == 409
    # The same extension in another organization is fine.
    other_admin = make_user("ADMIN")
    assert _new(client, auth_headers(user=other_admin), email="c@example.test").status_code == 201


def test_admin_limits(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    stranger = make_user("EMPLOYEE", ext_code="201")  # another organization
    assert _new(client, headers, role="SUPERADMIN").status_code == 403
    assert _new(client, headers, organizationId=stranger.organization_id).status_code == 403
    for method in (client.patch, client.delete):
        response = method(f"/users/{stranger.id}", json={"firstName": "X"}, headers=headers) \
            if method is client.patch else method(f"/users/{stranger.id}", headers=headers)
        assert response.status_code == 404
    db.expire_all()
    assert db.get(User, stranger.id).is_active is True
    assert client.delete(f"/users/{admin.id}", headers=headers).status_code == 400
    assert client.patch(f"/users/{admin.id}", json={"role": "EMPLOYEE"}, headers=headers).status_code == 400
    bad = _new(client, headers, email="no-at-sign", password="short", role="KING", extCode="12a")
    assert bad.status_code == 400 and {"email", "password", "role", "extCode"} <= set(bad.get_json()["errors"])
    assert client.post("/users", data="{", headers={**headers, "Content-Type": "application/json"}).status_code == 400


def test_superadmin_creates_users_anywhere_and_organizations(client, auth_headers, make_user, db):
    headers = auth_headers("SUPERADMIN")
    created = client.post("/organizations", json={"name": "Call centre", "timeZone": "Asia/Tashkent",
                                                  "sipuniUser": "012345", "sipuniSecret": "0.secretvalue1"},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    organization = created.get_json()["organization"]
    assert (organization["timeZone"], organization["sipuniUser"], organization["sipuniSecretSet"]) == \
        ("Asia/Tashkent", "012345", True)
    assert "0.secretvalue1" not in created.get_data(as_text=True)
    assert _new(client, headers).status_code == 400  # which organization?
    assert _new(client, headers, organizationId=999_999).status_code == 404
    user = _new(client, headers, organizationId=organization["id"], role="ADMIN").get_json()["user"]
    assert user["organizationId"] == organization["id"] and user["role"] == "ADMIN"
    root = _new(client, headers, email="root2@example.test", role="SUPERADMIN", extCode=None).get_json()["user"]
    assert root["organizationId"] is None
    listed = client.get("/organizations", headers=headers).get_json()["organizations"]
    assert organization["id"] in [org["id"] for org in listed]
    assert client.get(f"/organizations/{organization['id']}", headers=headers).get_json()["organization"]["name"] \
        == "Call centre"
    assert client.get("/organizations/999999", headers=headers).status_code == 404
    bad = client.post("/organizations", json={"name": "", "timeZone": "Mars/Base"}, headers=headers)
    assert bad.status_code == 400 and {"name", "timeZone"} <= set(bad.get_json()["errors"])
    assert db.query(Organization).count() == 1


def test_a_new_employee_gets_the_logged_calls_of_their_extension(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    colleague = make_user("EMPLOYEE", organization=db.get(Organization, admin.organization_id), ext_code="209")
    for record_id, employee_id in (("1.1", None), ("1.2", None), ("1.3", colleague.id)):
        db.add(CallLogEntry(organization_id=admin.organization_id, record_id=record_id, status="answered",
                            started_at=datetime.now(timezone.utc), ext_code="201", employee_id=employee_id,
                            has_recording=True))
    db.commit()
    user = _new(client, headers).get_json()["user"]  # extCode 201
    db.expire_all()
    owners = {entry.record_id: entry.employee_id for entry in db.query(CallLogEntry)}
    assert owners == {"1.1": user["id"], "1.2": user["id"], "1.3": colleague.id}
    rows = client.get("/stats/employees", headers=headers).get_json()["employees"]
    assert {row["employeeId"]: row["calls"] for row in rows} == {user["id"]: 2, colleague.id: 1}
