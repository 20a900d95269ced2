"""Tokens: the user is loaded on every request, logout revokes, `exp` is required (issue #12, point 3)."""

from __future__ import annotations

from flask_jwt_extended import create_access_token

from shared.models import User
from tests.conftest import TEST_PASSWORD


def _login(client, user: User) -> dict[str, str]:
    response = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_a_deactivated_users_token_is_401_at_the_next_request(client, make_user, db):
    user = make_user("ADMIN")
    headers = _login(client, user)
    assert client.get("/users", headers=headers).status_code == 200
    user.is_active = False
    db.commit()
    response = client.get("/users", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["message"] == "User is inactive or no longer exists"


def test_a_deleted_users_token_is_401(client, make_user, db):
    user = make_user("EMPLOYEE")
    headers = _login(client, user)
    db.delete(user)
    db.commit()
    assert client.get("/auth/me", headers=headers).status_code == 401


def test_a_demotion_takes_effect_at_the_next_request(client, make_user, db):
    admin = make_user("ADMIN")
    headers = _login(client, admin)
    assert client.get("/users", headers=headers).status_code == 200
    admin.role = "EMPLOYEE"
    db.commit()
    assert client.get("/users", headers=headers).status_code == 403
    assert client.get("/auth/me", headers=headers).get_json()["user"]["role"] == "EMPLOYEE"


def test_the_organization_comes_from_the_database_not_the_token(client, make_user, db):
    admin = make_user("ADMIN")
    other = make_user("ADMIN")  # another organization
    headers = _login(client, admin)
    admin.organization_id = other.organization_id
    db.commit()
    emails = {user["email"] for user in client.get("/users", headers=headers).get_json()["users"]}
    assert emails == {admin.email, other.email}


def test_logout_revokes_the_presented_token_only(client, make_user):
    user = make_user("ADMIN")
    first, second = _login(client, user), _login(client, user)
    response = client.post("/auth/logout", headers=first)
    assert response.status_code == 200 and response.get_json()["success"] is True
    revoked = client.get("/auth/me", headers=first)
    assert revoked.status_code == 401 and revoked.get_json()["message"] == "Token has been revoked"
    assert client.post("/auth/logout", headers=first).status_code == 401
    assert client.get("/auth/me", headers=second).status_code == 200


def test_the_blocklist_entry_lives_as_long_as_the_token(client, make_user, redis_client, settings):
    headers = _login(client, make_user("ADMIN"))
    client.post("/auth/logout", headers=headers)
    keys = list(redis_client.scan_iter("navai:jwt:revoked:*"))
    assert len(keys) == 1
    assert 0 < redis_client.ttl(keys[0]) <= settings.jwt_expires_s + 1


def test_logout_needs_a_token(client):
    assert client.post("/auth/logout").status_code == 401


def test_a_token_without_exp_is_refused(app, client, make_user):
    user = make_user("ADMIN")
    with app.app_context():
        token = create_access_token(identity=str(user.id), expires_delta=False)
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "exp" in response.get_json()["message"]


# --- the credential version (issue #18, point 3) ---------------------------------------------------

def test_a_token_carries_the_users_credential_version(app, client, make_user, db):
    from flask_jwt_extended import decode_token

    user = make_user("EMPLOYEE")
    user.credential_version = 3
    db.commit()
    token = _login(client, user)["Authorization"].removeprefix("Bearer ")
    with app.app_context():
        assert decode_token(token)["credential_version"] == 3
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_token_of_another_credential_version_is_401(app, client, make_user):
    user = make_user("ADMIN")
    with app.app_context():
        tokens = {claim: create_access_token(identity=str(user.id), additional_claims={"credential_version": claim})
                  for claim in (1, -1, "0", True, None)}
    for claim, token in tokens.items():
        response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, claim
        assert "credentials changed" in response.get_json()["message"]


def test_a_token_from_before_the_upgrade_counts_as_version_0_until_the_first_change(
        app, client, make_user, auth_headers):
    """Tokens issued before the claim existed keep working (nobody is logged out by the upgrade),
    and end at the user's first change of credentials like any other."""
    user = make_user("EMPLOYEE")
    with app.app_context():
        old = {"Authorization": f"Bearer {create_access_token(identity=str(user.id))}"}
    assert client.get("/auth/me", headers=old).status_code == 200
    admin = make_user("ADMIN", organization=user.organization)
    reset = client.patch(f"/users/{user.id}", json={"password": "a-brand-new-password"},
                         headers=auth_headers(user=admin))
    assert reset.status_code == 200, reset.get_json()
    assert client.get("/auth/me", headers=old).status_code == 401
