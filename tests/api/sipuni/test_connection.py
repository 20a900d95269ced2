"""`POST /sipuni/test-connection` and the test `PATCH /settings` runs on a new Sipuni account,
against the Sipuni simulator's process (and a port where nothing listens)."""

from __future__ import annotations

import logging
import secrets

import pytest

from api import create_app
from shared.models import Organization
from tests.conftest import settings_with
from tests.support.services import free_port

PROBE_ENDPOINT = "statistic/export/all"


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _test(client, headers: dict[str, str], **query: object):  # type: ignore[no-untyped-def]
    response = client.post("/sipuni/test-connection", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_organizations_account_answers_ok_with_one_signed_request(client, auth_headers, sipuni, sipuni_org,
                                                                       settings, logs):
    admin, _ = sipuni_org
    answer = _test(client, auth_headers(user=admin))
    assert answer == {"success": True, "message": f"Sipuni accepted account {settings.sipuni_user}", "reason": "ok"}
    requests = sipuni.stats()["requests"]
    assert requests.get(PROBE_ENDPOINT) == 1 and "badHash" not in requests  # one request, correctly signed
    assert "Sipuni connection test of organization" in logs.text and settings.sipuni_secret not in logs.text


@pytest.mark.parametrize("wrong", ["secret", "user"])
def test_a_wrong_secret_or_account_number_is_the_wrong_hash_page(client, auth_headers, sipuni, sipuni_org, db,
                                                                 settings, logs, wrong):
    admin, organization = sipuni_org
    wrong_secret = "0." + secrets.token_hex(6)
    if wrong == "secret":
        organization.sipuni_secret = wrong_secret
    else:
        organization.sipuni_user = "99" + settings.sipuni_user
    db.commit()

    response = client.post("/sipuni/test-connection", headers=auth_headers(user=admin))

    answer = response.get_json()
    assert response.status_code == 200
    assert (answer["success"], answer["reason"]) == (False, "wrong_credentials")
    assert "Неправильный хеш" in answer["message"] and "secret is wrong" in answer["message"]
    assert sipuni.stats()["requests"].get("badHash") == 1
    for secret in (wrong_secret, settings.sipuni_secret):
        assert secret not in response.get_data(as_text=True) and secret not in logs.text
    assert "wrong_credentials" in logs.text


def test_rate_limited_and_other_answers_of_sipuni(client, auth_headers, sipuni, sipuni_org):
    admin, _ = sipuni_org
    headers = auth_headers(user=admin)
    sipuni.faults(failNext=[{"endpoint": "export/all", "status": 429, "count": 1, "retryAfter": 7}])
    limited = _test(client, headers)
    assert (limited["success"], limited["reason"]) == (False, "rate_limited")
    assert limited["message"] == "Sipuni is limiting requests (HTTP 429); try again in 7 s"
    assert sipuni.stats()["requests"].get(f"{PROBE_ENDPOINT}:injected:429") == 1  # one attempt, no retries

    sipuni.faults(failNext=[{"endpoint": "export/all", "status": 503, "count": 1}])
    assert _test(client, headers)["reason"] == "unreachable"
    sipuni.faults(failNext=[{"endpoint": "export/all", "status": 500, "count": 1}])
    unexpected = _test(client, headers)
    assert (unexpected["reason"], unexpected["message"]) == ("unexpected", "Sipuni answered HTTP 500 with a body "
                                                                           "that is not an export")
    assert _test(client, headers)["reason"] == "ok"  # the faults were used up


def test_an_unreachable_sipuni_is_said_so_never_a_500(settings, sipuni_org, auth_headers, logs):
    admin, _ = sipuni_org
    app = create_app(settings_with(settings, sipuni_api_url=f"http://127.0.0.1:{free_port()}/api"))
    try:
        client = app.test_client()
        response = client.post("/sipuni/test-connection", headers=_login(client, admin))
        answer = response.get_json()
        assert response.status_code == 200
        assert (answer["success"], answer["reason"]) == (False, "unreachable")
        assert answer["message"] == "Sipuni (127.0.0.1) could not be reached (ConnectionError)"
        assert settings.sipuni_secret not in response.get_data(as_text=True) + logs.text
    finally:
        app.extensions["navai"].engine.dispose()


def test_who_may_test_and_an_organization_without_an_account(client, auth_headers, sipuni, sipuni_org, make_user):
    _, organization = sipuni_org
    for role in ("MANAGER", "EMPLOYEE"):
        refused = client.post("/sipuni/test-connection", headers=auth_headers(role, organization=organization))
        assert refused.status_code == 403
    assert client.post("/sipuni/test-connection").status_code == 401
    # A second organization has no account of its own, and may not use the deployment's.
    other = make_user("ADMIN")
    missing = client.post("/sipuni/test-connection", headers=auth_headers(user=other))
    assert missing.status_code == 409 and missing.get_json()["missingAccount"] == "sipuni"
    root = auth_headers("SUPERADMIN")
    assert _test(client, root, organizationId=organization.id)["reason"] == "ok"
    assert client.post("/sipuni/test-connection?organizationId=999999", headers=root).status_code == 404
    assert sipuni.stats()["requests"].get(PROBE_ENDPOINT) == 1  # only the one that may be tested was sent


def test_patch_settings_with_a_new_account_tests_it_and_saves_it_either_way(client, auth_headers, sipuni, db,
                                                                            make_user, settings, logs):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    wrong_secret = "0." + secrets.token_hex(6)

    refused = client.patch("/settings", json={"sipuniUser": settings.sipuni_user, "sipuniSecret": wrong_secret},
                           headers=headers)
    assert refused.status_code == 200, refused.get_json()
    body = refused.get_json()
    assert body["sipuniConnection"]["reason"] == "wrong_credentials" and body["sipuniConnection"]["success"] is False
    assert body["sipuniUser"] == settings.sipuni_user and body["sipuniSecretSet"] is True  # saved all the same
    db.expire_all()
    assert db.get(Organization, admin.organization_id).sipuni_secret == wrong_secret

    fixed = client.patch("/settings", json={"sipuniSecret": settings.sipuni_secret}, headers=headers).get_json()
    assert fixed["sipuniConnection"] == {"success": True, "message": f"Sipuni accepted account {settings.sipuni_user}",
                                         "reason": "ok"}
    unrelated = client.patch("/settings", json={"timeZone": "Asia/Tashkent"}, headers=headers).get_json()
    assert "sipuniConnection" not in unrelated  # no new account, no test
    cleared = client.patch("/settings", json={"sipuniUser": None, "sipuniSecret": None}, headers=headers).get_json()
    assert "sipuniConnection" not in cleared and cleared["sipuniSecretSet"] is False
    assert sipuni.stats()["requests"].get(PROBE_ENDPOINT) == 2
    for secret in (wrong_secret, settings.sipuni_secret):
        assert secret not in refused.get_data(as_text=True) and secret not in logs.text


def _login(client, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from tests.conftest import TEST_PASSWORD

    response = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}
