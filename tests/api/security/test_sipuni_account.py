"""No shared upstream account across tenants (issue #12, point 1): the API refuses with 409 naming the
missing account, and the worker's account lookup refuses as well; nothing is fetched."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared.db import make_session_factory, session_scope
from shared.models import Organization, SyncRun
from shared.sipuni.account import AccountMissing, SipuniAccount
from shared.sipuni.names import csv_path
from tests.support.sipuni import give_sipuni_account
from workers.sipuni.accounts import AccountCache

ENDPOINTS = ("/sipuni/step1-fetch-csv?limit=10", "/sipuni/step2-process-recordings")


def _runs(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(SyncRun))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_second_organization_without_an_account_is_409_and_nothing_starts(path, client, auth_headers, make_user,
                                                                            db, settings, redis_client):
    owner = make_user("ADMIN")
    give_sipuni_account(db, db.get(Organization, owner.organization_id), settings)
    newcomer = make_user("ADMIN")  # a second organization, no account of its own
    csv = csv_path(settings.data_dir, newcomer.organization_id)
    csv.parent.mkdir(parents=True, exist_ok=True)
    csv.write_text("step 2 must not even look at this\n")
    queued_before = redis_client.llen("sipuni")
    response = client.post(path, headers=auth_headers(user=newcomer))
    assert response.status_code == 409
    body = response.get_json()
    assert body["missingAccount"] == "sipuni" and body["organizationId"] == newcomer.organization_id
    assert f"Organization {newcomer.organization_id} has no Sipuni account" in body["message"]
    assert _runs(db) == 0 and redis_client.llen("sipuni") == queued_before


def test_the_webhook_refuses_an_organization_without_an_account(client, make_user, db, settings):
    make_user("ADMIN")
    newcomer = make_user("ADMIN")
    response = client.post("/sipuni-integration", json={"organizationId": newcomer.organization_id},
                           headers={"X-API-Key": settings.webhook_api_key})
    assert response.status_code == 409 and response.get_json()["missingAccount"] == "sipuni"
    assert _runs(db) == 0


def test_the_only_organization_may_use_the_deployments_account(client, auth_headers):
    response = client.post(ENDPOINTS[0], headers=auth_headers("ADMIN"))
    assert response.status_code == 202


def test_the_worker_refuses_the_deployments_account_for_a_second_organization(db, settings, engine):
    factory = make_session_factory(engine)
    first, second = Organization(name="first"), Organization(name="second")
    db.add_all([first, second])
    db.commit()
    deployment = settings.replace(sipuni_user="0100", sipuni_secret="deploy-secret")
    with pytest.raises(AccountMissing, match=f"Organization {second.id} has no Sipuni account"):
        AccountCache().account(second.id, deployment, lambda: session_scope(factory))
    second.sipuni_user, second.sipuni_secret = "0200", "own-secret"
    db.commit()
    assert AccountCache().account(second.id, deployment, lambda: session_scope(factory)) == \
        SipuniAccount("0200", "own-secret")
