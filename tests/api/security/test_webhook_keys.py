"""Per-organization webhook keys (issue #12, point 7)."""

from __future__ import annotations

import hashlib

from shared import keys
from shared.models import Organization
from tests.conftest import settings_with
from tests.support.sipuni import give_sipuni_account


def _new_key(app, organization_id: int, *extra: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["orgs", "webhook-key", "--organization-id", str(organization_id),
                                              *extra])


def _org(db, settings, name: str) -> Organization:  # type: ignore[no-untyped-def]
    organization = Organization(name=name)
    db.add(organization)
    db.commit()
    give_sipuni_account(db, organization, settings)
    return organization


def test_an_organizations_key_opens_the_webhook_for_it_only(app, client, db, settings):
    mine, theirs = _org(db, settings, "mine"), _org(db, settings, "theirs")
    result = _new_key(app, mine.id)
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert len(key) >= 24
    db.expire_all()
    stored = db.get(Organization, mine.id).webhook_key_hash
    assert stored == hashlib.sha256(key.encode()).hexdigest() and key not in stored

    foreign = client.post("/sipuni-integration", json={"organizationId": theirs.id}, headers={"X-API-Key": key})
    assert foreign.status_code == 403
    own = client.post("/sipuni-integration", json={"organizationId": mine.id, "limit": 5},
                      headers={"X-API-Key": key})
    assert own.status_code == 202, own.get_json()


def test_rotating_a_key_retires_the_old_one(app, client, db, settings):
    organization = _org(db, settings, "rotating")
    old = _new_key(app, organization.id).stdout.strip()
    new = _new_key(app, organization.id).stdout.strip()
    assert old != new
    body = {"organizationId": organization.id, "limit": 5}
    assert client.post("/sipuni-integration", json=body, headers={"X-API-Key": old}).status_code == 401
    assert client.post("/sipuni-integration", json=body, headers={"X-API-Key": new}).status_code == 202


def test_the_global_key_still_opens_every_organization(client, db, settings):
    organization = _org(db, settings, "seeded")
    response = client.post("/sipuni-integration", json={"organizationId": organization.id, "limit": 5},
                           headers={"X-API-Key": settings.webhook_api_key})
    assert response.status_code == 202


def test_an_organization_key_works_without_a_global_key(settings, db):
    from api import create_app

    organization = _org(db, settings, "keyed")
    app = create_app(settings_with(settings, webhook_api_key=""))
    try:
        key = _new_key(app, organization.id).stdout.strip()
        response = app.test_client().post("/sipuni-integration", json={"organizationId": organization.id},
                                          headers={"X-API-Key": key})
        assert response.status_code == 202
    finally:
        app.extensions["navai"].engine.dispose()


def test_a_chosen_key_shorter_than_24_characters_is_refused(app, db, settings):
    organization = _org(db, settings, "short")
    refused = _new_key(app, organization.id, "--key", "x" * 23)
    assert refused.exit_code != 0 and "at least 24" in refused.output
    db.expire_all()
    assert db.get(Organization, organization.id).webhook_key_hash is None
    assert _new_key(app, organization.id, "--key", "y" * 24).exit_code == 0


def test_an_unknown_organization_gets_no_key(app):
    result = _new_key(app, 999_999)
    assert result.exit_code != 0 and "does not exist" in result.output


# --- wrong keys are throttled per client address (issue #18, point 7) ------------------------------

FAILURES_ALLOWED = 20
ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
NEIGHBOUR = {"REMOTE_ADDR": "203.0.113.8"}


def test_twenty_wrong_keys_a_minute_then_429_for_that_address_only(app_without_workers, client, db, settings,
                                                                    redis_client):
    organization = _org(db, settings, "guessed")
    body = {"organizationId": organization.id, "limit": 5}
    wrong = "w" * 32
    for attempt in range(FAILURES_ALLOWED):
        answer = client.post("/sipuni-integration", json=body, headers={"X-API-Key": f"{wrong}{attempt}"},
                             environ_base=ATTACKER)
        assert answer.status_code == 401, attempt
    assert client.post("/sipuni-integration", json=body, environ_base=ATTACKER).status_code == 429  # no key at all
    for key in (wrong, settings.webhook_api_key):  # the right key too: a 202 would tell a right guess apart
        throttled = client.post("/sipuni-integration", json=body, headers={"X-API-Key": key}, environ_base=ATTACKER)
        assert throttled.status_code == 429 and throttled.is_json
        assert 0 < int(throttled.headers["Retry-After"]) <= 60
        assert throttled.get_json()["errors"]["retryAfterS"] == int(throttled.headers["Retry-After"])
    # Another address is not affected: its wrong key is a 401, its right key passes (404: no such organization).
    assert client.post("/sipuni-integration", json=body, headers={"X-API-Key": wrong},
                       environ_base=NEIGHBOUR).status_code == 401
    passed = client.post("/sipuni-integration", json={"organizationId": 999_999},
                         headers={"X-API-Key": settings.webhook_api_key}, environ_base=NEIGHBOUR)
    assert passed.status_code == 404
    # The counts live under the deployment's prefix, and hold no key.
    stored = list(redis_client.scan_iter(match=f"{keys.WEBHOOK_KEY_THROTTLE_PREFIX}:*"))
    assert stored and all(wrong not in key for key in stored)


def test_right_keys_are_never_counted(app_without_workers, client, db, settings):
    body = {"organizationId": 999_999}
    for _ in range(FAILURES_ALLOWED + 5):
        response = client.post("/sipuni-integration", json=body, headers={"X-API-Key": settings.webhook_api_key},
                               environ_base=ATTACKER)
        assert response.status_code == 404


def test_the_throttle_is_shared_by_every_api_process(app_without_workers, client, settings):
    from api import create_app

    for attempt in range(FAILURES_ALLOWED):
        assert client.post("/sipuni-integration", json={"organizationId": 1}, headers={"X-API-Key": f"x{attempt}"},
                           environ_base=ATTACKER).status_code == 401
    other = create_app(settings)  # another API process, on the same Redis
    try:
        response = other.test_client().post("/sipuni-integration", json={"organizationId": 1},
                                            headers={"X-API-Key": "y" * 30}, environ_base=ATTACKER)
        assert response.status_code == 429
    finally:
        other.extensions["navai"].engine.dispose()


# --- WEBHOOK_API_KEY is deprecated once organizations have their own keys -------------------------

DEPRECATED = "WEBHOOK_API_KEY is deprecated"


def _start(settings, caplog):  # type: ignore[no-untyped-def]
    """Create an API app (an API process starting) and return what it logged."""
    import logging

    from api import create_app

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="api.sipuni.startup"):
        app = create_app(settings)
    app.extensions["navai"].engine.dispose()
    return [record for record in caplog.records if record.name == "api.sipuni.startup"]


def test_the_global_key_logs_a_deprecation_at_start_once_an_organization_has_its_own(app, db, settings, caplog):
    assert not [record for record in _start(settings, caplog) if DEPRECATED in record.getMessage()]
    organization = _org(db, settings, "own key")
    key = _new_key(app, organization.id).stdout.strip()
    records = [record for record in _start(settings, caplog) if DEPRECATED in record.getMessage()]
    assert len(records) == 1 and records[0].levelname == "WARNING"
    message = records[0].getMessage()
    assert "1 organization(s)" in message and key not in message and settings.webhook_api_key not in message
    # Without a global key there is nothing to deprecate.
    assert not [record for record in _start(settings_with(settings, webhook_api_key=""), caplog)
                if DEPRECATED in record.getMessage()]


def test_an_unreachable_database_at_start_skips_the_check(settings, caplog):
    records = _start(settings_with(settings, database_url="postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"), caplog)
    assert [record.getMessage() for record in records] == [
        "organizations' own webhook keys not checked at start (database unavailable: OperationalError)"]


def test_a_database_that_does_not_answer_delays_the_start_by_the_connect_timeout_only(settings, caplog):
    """A server that takes the connection and never answers (a hung host, a full PgBouncer)."""
    import socket
    import time

    from api.sipuni.startup import STARTUP_CHECK_CONNECT_TIMEOUT_S

    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        started = time.monotonic()
        records = _start(settings_with(settings, database_url=f"postgresql+psycopg2://postgres@127.0.0.1:{port}/x"),
                         caplog)
        elapsed = time.monotonic() - started
    assert STARTUP_CHECK_CONNECT_TIMEOUT_S - 1 < elapsed < STARTUP_CHECK_CONNECT_TIMEOUT_S + 3
    assert "not checked at start" in records[-1].getMessage()
