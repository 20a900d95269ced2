"""Tokens end when credentials change (issue #18, point 3): a change of password, email, role,
organization or activity, or an ADMIN's reset, makes every older token of the user answer 401 at
once, on every API process; reactivation does not revive them."""

from __future__ import annotations

import pytest

from shared.models import Organization, User
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "another-long-password"


def _login(client, email: str, password: str = TEST_PASSWORD) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _works(client, headers: dict[str, str]) -> bool:  # type: ignore[no-untyped-def]
    status = client.get("/auth/me", headers=headers).status_code
    assert status in (200, 401)
    return status == 200


@pytest.mark.parametrize("change", [
    {"password": NEW_PASSWORD},
    {"email": "renamed@example.test"},
    {"role": "MANAGER"},
    {"isActive": False},
])
def test_an_admins_change_ends_every_older_token_of_the_user(client, make_user, auth_headers, change):
    admin = make_user("ADMIN")
    user = make_user("EMPLOYEE", organization=admin.organization)
    first, second = _login(client, user.email), _login(client, user.email)
    untouched = _login(client, admin.email)
    response = client.patch(f"/users/{user.id}", json=change, headers=auth_headers(user=admin))
    assert response.status_code == 200, response.get_json()
    assert not _works(client, first) and not _works(client, second)
    refused = client.get("/auth/me", headers=first).get_json()["message"]
    assert refused in ("This token was issued before the user's credentials changed; log in again",
                       "User is inactive or no longer exists")
    assert _works(client, untouched)  # only that user's tokens
    if change.get("isActive") is not False:
        email = change.get("email", user.email)
        assert _works(client, _login(client, email, change.get("password", TEST_PASSWORD)))


def test_a_change_of_names_or_extension_keeps_the_tokens(client, make_user, auth_headers):
    admin = make_user("ADMIN")
    user = make_user("EMPLOYEE", organization=admin.organization)
    token = _login(client, user.email)
    response = client.patch(f"/users/{user.id}", json={"firstName": "Kamola", "extCode": "210"},
                            headers=auth_headers(user=admin))
    assert response.status_code == 200, response.get_json()
    assert _works(client, token)


def test_a_move_to_another_organization_ends_the_tokens(client, make_user, auth_headers, db):
    user = make_user("EMPLOYEE")
    token = _login(client, user.email)
    elsewhere = Organization(name="Elsewhere")
    db.add(elsewhere)
    db.commit()
    response = client.patch(f"/users/{user.id}", json={"organizationId": elsewhere.id},
                            headers=auth_headers("SUPERADMIN"))
    assert response.status_code == 200, response.get_json()
    assert not _works(client, token)


def test_deactivation_ends_the_tokens_and_reactivation_does_not_revive_them(client, make_user, auth_headers, db):
    admin = make_user("ADMIN")
    user = make_user("EMPLOYEE", organization=admin.organization)
    token = _login(client, user.email)
    headers = auth_headers(user=admin)
    assert client.delete(f"/users/{user.id}", headers=headers).status_code == 200
    assert not _works(client, token)
    reactivated = client.patch(f"/users/{user.id}", json={"isActive": True}, headers=headers)
    assert reactivated.status_code == 200 and reactivated.get_json()["user"]["isActive"] is True
    assert not _works(client, token)  # the old token stays dead
    assert _works(client, _login(client, user.email))  # a new login works


def test_an_admin_resetting_an_employees_password_ends_their_tokens_on_every_api_process(
        settings, client, make_user, auth_headers):
    from api import create_app

    admin = make_user("ADMIN")
    user = make_user("EMPLOYEE", organization=admin.organization)
    token = _login(client, user.email)
    other_process = create_app(settings)
    try:
        assert _works(other_process.test_client(), token)
        reset = client.patch(f"/users/{user.id}", json={"password": NEW_PASSWORD}, headers=auth_headers(user=admin))
        assert reset.status_code == 200
        assert not _works(other_process.test_client(), token)
    finally:
        other_process.extensions["navai"].engine.dispose()


def test_each_change_bumps_the_stored_version_once(client, make_user, auth_headers, db):
    admin = make_user("ADMIN")
    user = make_user("EMPLOYEE", organization=admin.organization)
    headers = auth_headers(user=admin)
    for change in ({"password": NEW_PASSWORD}, {"lastName": "K."}, {"role": "EMPLOYEE"}, {"isActive": False}):
        assert client.patch(f"/users/{user.id}", json=change, headers=headers).status_code == 200
    db.expire_all()
    # A password (+1), nothing that matters (+0), the role it already had (+0), deactivation (+1).
    assert db.get(User, user.id).credential_version == 2
