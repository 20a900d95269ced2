"""Who may change credentials (issue #18, point 3): one's own password or email only with the
current password (a stolen token is not a permanent takeover); an ADMIN's only by themselves or a
SUPERADMIN."""

from __future__ import annotations

from werkzeug.security import check_password_hash

from shared.models import User
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "another-long-password"


def _login(client, email: str, password: str = TEST_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/auth/login", json={"email": email, "password": password})


def _headers(client, email: str, password: str = TEST_PASSWORD) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = _login(client, email, password)
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_changing_ones_own_password_or_email_needs_the_current_password(client, make_user, db):
    admin = make_user("ADMIN")
    headers = _headers(client, admin.email)
    for change in ({"password": NEW_PASSWORD}, {"email": "mine@example.test"}):
        missing = client.patch(f"/users/{admin.id}", json=change, headers=headers)
        assert missing.status_code == 400, missing.get_json()
        assert "currentPassword" in missing.get_json()["errors"] and "current password" in missing.get_json()["message"]
        wrong = client.patch(f"/users/{admin.id}", json={**change, "currentPassword": "not-my-password"},
                             headers=headers)
        assert wrong.status_code == 403 and "currentPassword" in wrong.get_json()["errors"]
    db.expire_all()
    stored = db.get(User, admin.id)
    assert stored.email == admin.email and check_password_hash(stored.password_hash, TEST_PASSWORD)
    assert stored.credential_version == 0
    # Other changes of one's own user need no password; the same email is no change.
    same = client.patch(f"/users/{admin.id}", json={"firstName": "Me", "email": admin.email.upper()}, headers=headers)
    assert same.status_code == 200, same.get_json()
    assert client.get("/auth/me", headers=headers).status_code == 200


def test_with_the_current_password_the_change_is_made_and_ends_the_callers_own_tokens(client, make_user):
    admin = make_user("ADMIN")
    headers, other_session = _headers(client, admin.email), _headers(client, admin.email)
    changed = client.patch(f"/users/{admin.id}", json={"password": NEW_PASSWORD, "email": "me@example.test",
                                                       "currentPassword": TEST_PASSWORD}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["user"]["email"] == "me@example.test"
    for token in (headers, other_session):
        assert client.get("/auth/me", headers=token).status_code == 401
    assert _login(client, admin.email).status_code == 401
    assert _login(client, "me@example.test", NEW_PASSWORD).status_code == 200


def test_a_superadmin_changing_their_own_password_needs_it_too(client, make_user):
    root = make_user("SUPERADMIN")
    headers = _headers(client, root.email)
    assert client.patch(f"/users/{root.id}", json={"password": NEW_PASSWORD}, headers=headers).status_code == 400
    changed = client.patch(f"/users/{root.id}", json={"password": NEW_PASSWORD, "currentPassword": TEST_PASSWORD},
                           headers=headers)
    assert changed.status_code == 200, changed.get_json()


def test_wrong_current_passwords_count_as_failed_logins(client, make_user):
    """A stolen token cannot be used to guess the password faster than the login form allows."""
    admin = make_user("ADMIN")
    headers = _headers(client, admin.email)
    for _ in range(10):
        response = client.patch(f"/users/{admin.id}", json={"password": NEW_PASSWORD, "currentPassword": "guess"},
                                headers=headers)
        assert response.status_code == 403
    throttled = client.patch(f"/users/{admin.id}", json={"password": NEW_PASSWORD, "currentPassword": TEST_PASSWORD},
                             headers=headers)
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert _login(client, admin.email).status_code == 429  # the same (account, address) count
    elsewhere = client.post("/auth/login", json={"email": admin.email, "password": TEST_PASSWORD},
                            environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert elsewhere.status_code == 200


def test_an_admin_cannot_change_a_peer_admins_password_or_email(client, make_user, db):
    admin = make_user("ADMIN")
    peer = make_user("ADMIN", organization=admin.organization)
    peer_token = _headers(client, peer.email)
    headers = _headers(client, admin.email)
    for change in ({"password": NEW_PASSWORD}, {"email": "taken-over@example.test"},
                   {"password": NEW_PASSWORD, "role": "EMPLOYEE"}):
        refused = client.patch(f"/users/{peer.id}", json=change, headers=headers)
        assert refused.status_code == 403, refused.get_json()
        assert "SUPERADMIN" in refused.get_json()["message"]
    db.expire_all()
    stored = db.get(User, peer.id)
    assert (stored.email, stored.role, stored.credential_version) == (peer.email, "ADMIN", 0)
    assert client.get("/auth/me", headers=peer_token).status_code == 200
    # An EMPLOYEE's password is the ADMIN's to reset, without any current password.
    employee = make_user("EMPLOYEE", organization=admin.organization)
    assert client.patch(f"/users/{employee.id}", json={"password": NEW_PASSWORD}, headers=headers).status_code == 200


def test_a_superadmin_resets_an_admins_password(client, make_user, auth_headers):
    admin = make_user("ADMIN")
    token = _headers(client, admin.email)
    reset = client.patch(f"/users/{admin.id}", json={"password": NEW_PASSWORD}, headers=auth_headers("SUPERADMIN"))
    assert reset.status_code == 200, reset.get_json()
    assert client.get("/auth/me", headers=token).status_code == 401
    assert _login(client, admin.email, NEW_PASSWORD).status_code == 200
