"""Per-organization webhook keys (issue #12, point 7)."""

from __future__ import annotations

import hashlib

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
