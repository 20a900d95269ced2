from __future__ import annotations

from datetime import timedelta

from flask_jwt_extended import create_access_token

from tests.conftest import TEST_PASSWORD


def test_login_returns_a_token_that_carries_role_and_organization(client, make_user):
    user = make_user(role="ADMIN")
    response = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200
    token = response.get_json()["access_token"]
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["user"]["organizationId"] == user.organization_id
    assert me.get_json()["user"]["role"] == "ADMIN"


def test_login_with_wrong_password_or_unknown_email_is_401(client, make_user):
    user = make_user()
    wrong = client.post("/auth/login", json={"email": user.email, "password": "not-the-password"})
    unknown = client.post("/auth/login", json={"email": "nobody@example.test", "password": TEST_PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.get_json() == {"success": False, "message": "Invalid email or password", "errors": {}}


def test_login_without_fields_is_400_naming_them(client):
    response = client.post("/auth/login", json={"email": "x@y.z"})
    assert response.status_code == 400
    assert "password" in response.get_json()["errors"]


def test_expired_token_is_401(app, client, make_user):
    user = make_user()
    with app.app_context():
        token = create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=-1),
                                    additional_claims={"role": "ADMIN", "org_id": user.organization_id})
    response = client.get("/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "Token has expired"


def test_malformed_or_missing_token_is_401_json(client):
    malformed = client.get("/users", headers={"Authorization": "Bearer not.a.jwt"})
    missing = client.get("/users")
    assert malformed.status_code == 401 and malformed.get_json()["success"] is False
    assert missing.status_code == 401 and "Authorization" in missing.get_json()["message"]


def test_token_signed_with_another_key_is_rejected(app, client, make_user):
    user = make_user()
    app.config["JWT_SECRET_KEY"] = "another-secret-key-of-enough-length"
    with app.app_context():
        forged = create_access_token(identity=str(user.id), additional_claims={"role": "SUPERADMIN"})
    app.config["JWT_SECRET_KEY"] = app.extensions["navai"].settings.jwt_secret_key
    response = client.get("/users", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_employee_gets_403_on_an_admin_endpoint(client, auth_headers):
    response = client.get("/users", headers=auth_headers("EMPLOYEE"))
    assert response.status_code == 403
    assert response.get_json()["success"] is False


def test_admin_sees_only_the_users_of_their_organization(client, make_user, auth_headers):
    admin = make_user(role="ADMIN")
    colleague = make_user(role="EMPLOYEE", organization=admin.organization)
    outsider = make_user(role="EMPLOYEE")
    response = client.get("/users", headers=auth_headers(user=admin))
    emails = {user["email"] for user in response.get_json()["users"]}
    assert emails == {admin.email, colleague.email}
    assert outsider.email not in emails
