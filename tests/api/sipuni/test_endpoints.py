"""Validation, errors, the webhook, one run per organization, and organization isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.models import Call, Organization
from shared.redis_client import make_redis
from shared.runs.locks import RunLock
from shared.sipuni.names import csv_path, step2_scope
from tests.conftest import settings_with
from tests.support.sipuni import give_sipuni_account, wait_for_run

CSV_NOT_FOUND = {"success": False, "message": "CSV file not found. Please run Step 1 first."}


def _write_csv(settings, organization_id, text="Тип;Время;ID записи\n"):
    path = csv_path(settings.data_dir, organization_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_step2_without_csv_is_404_at_once(client, auth_headers):
    response = client.post("/sipuni/step2-process-recordings", headers=auth_headers("ADMIN"))
    assert response.status_code == 404
    assert response.get_json() == CSV_NOT_FOUND
    assert client.get("/sipuni/csv", headers=auth_headers("ADMIN")).status_code == 404


@pytest.mark.parametrize("path, field", [
    ("/sipuni/step1-fetch-csv?limit=abc", "limit"),
    ("/sipuni/step1-fetch-csv?limit=0", "limit"),
    ("/sipuni/step1-fetch-csv?limit=200001", "limit"),
    ("/sipuni/step1-fetch-csv?from=2025-10-01&to=02.10.2025", "from"),
    ("/sipuni/step1-fetch-csv?from=01.10.2025", "body"),
    ("/sipuni/step2-process-recordings?from=31.02.2025", "from"),
    ("/sipuni/step2-process-recordings?to=1.1.2025", "to"),
    ("/sipuni/step2-process-recordings?from=10.10.2025&to=01.10.2025", "body"),
])
def test_bad_query_parameters_are_400_with_the_field(client, auth_headers, settings, path, field):
    headers = auth_headers("ADMIN")
    response = client.post(path, headers=headers)
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["success"] is False and field in body["errors"], body


def test_employees_cannot_trigger_a_sync(client, auth_headers):
    headers = auth_headers("EMPLOYEE")
    assert client.post("/sipuni/step1-fetch-csv", headers=headers).status_code == 403
    assert client.post("/sipuni/step2-process-recordings", headers=headers).status_code == 403
    assert client.post("/sipuni/step1-fetch-csv").status_code == 401


def test_one_step2_run_per_organization(client, auth_headers, make_user, settings):
    admin = make_user("ADMIN")
    _write_csv(settings, admin.organization_id)
    RunLock(make_redis(settings.redis_url), step2_scope(admin.organization_id)).acquire("run-in-progress")
    response = client.post("/sipuni/step2-process-recordings", headers=auth_headers(user=admin))
    assert response.status_code == 409
    assert response.get_json()["runId"] == "run-in-progress"


def test_webhook_key_checks(client, settings):
    body = {"organizationId": 1, "limit": 10}
    assert client.post("/sipuni-integration", json=body).status_code == 401
    assert client.post("/sipuni-integration", json=body, headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.post("/sipuni-integration", json=body,
                       headers={"X-API-Key": settings.webhook_api_key[:-1]}).status_code == 401


def test_without_a_global_key_only_organization_keys_open_the_webhook(settings):
    from api import create_app

    app = create_app(settings_with(settings, webhook_api_key=""))
    response = app.test_client().post("/sipuni-integration", json={"organizationId": 1},
                                      headers={"X-API-Key": ""})
    app.extensions["navai"].engine.dispose()
    assert response.status_code == 401
    assert "WEBHOOK_API_KEY is not set" in response.get_json()["message"]


@pytest.mark.parametrize("raw, field", [
    (b"{not json", None),
    (b'{"organizationId": "1", "limit": 10}', "organizationId"),
    (b'{"limit": 10}', "organizationId"),
    (b'{"organizationId": 1, "limit": 0}', "limit"),
    (b'[1, 2]', None),
])
def test_webhook_bad_bodies_are_400(client, settings, raw, field):
    response = client.post("/sipuni-integration", data=raw, content_type="application/json",
                           headers={"X-API-Key": settings.webhook_api_key})
    assert response.status_code == 400
    if field:
        assert field in response.get_json()["errors"]


def test_webhook_for_an_unknown_organization_is_404(client, settings):
    response = client.post("/sipuni-integration", json={"organizationId": 999, "limit": 5},
                           headers={"X-API-Key": settings.webhook_api_key})
    assert response.status_code == 404


def test_webhook_runs_both_steps_and_a_redelivery_stores_nothing_twice(
        client, auth_headers, sipuni, sipuni_org, worker, db, settings):
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    key = {"X-API-Key": settings.webhook_api_key}
    payload = {"organizationId": organization.id, "limit": 20}
    response = client.post("/sipuni-integration", json=payload, headers=key)
    assert response.status_code == 202
    body = response.get_json()
    assert wait_for_run(client, headers, body["runId"])["stats"]["totalRecords"] == 20
    first = wait_for_run(client, headers, body["step2"]["runId"])
    assert first["status"] == "completed" and first["total"] == 20
    stored = db.scalars(select(Call.external_id)).all()
    assert len(stored) == first["processed"] > 0

    again = client.post("/sipuni-integration", json=payload, headers=key).get_json()
    second = wait_for_run(client, headers, again["step2"]["runId"])
    assert second["processed"] == 0 and second["stats"]["skippedByReason"]["already_exists"] == len(stored)
    assert sorted(db.scalars(select(Call.external_id)).all()) == sorted(stored)


def test_an_admin_never_touches_another_organizations_calls(
        client, auth_headers, sipuni, sipuni_org, make_user, worker, db, settings):
    owner, other_org = sipuni_org
    stranger = make_user("ADMIN")  # another organization, no employees
    owner_headers, stranger_headers = auth_headers(user=owner), auth_headers(user=stranger)
    started = client.post("/sipuni/step1-fetch-csv?limit=20", headers=owner_headers).get_json()
    wait_for_run(client, owner_headers, started["runId"])
    run = client.post("/sipuni/step2-process-recordings", headers=owner_headers).get_json()
    wait_for_run(client, owner_headers, run["runId"])
    owners_calls = sorted(db.scalars(select(Call.id).where(Call.organization_id == other_org.id)).all())
    assert owners_calls

    # organizationId is honoured for SUPERADMINs only: an ADMIN stays in their own organization.
    query = f"?organizationId={other_org.id}"
    refused = client.post(f"/sipuni/step2-process-recordings{query}", headers=stranger_headers)
    assert refused.status_code == 409 and refused.get_json()["organizationId"] == stranger.organization_id
    assert client.get(f"/sipuni/csv{query}", headers=stranger_headers).status_code == 404
    assert client.get(f"/runs/{run['runId']}", headers=stranger_headers).status_code == 404
    assert client.get("/sipuni/progress", headers=stranger_headers).status_code == 404

    # Without its own Sipuni account, the stranger's organization may not use the deployment's.
    refused = client.post("/sipuni/step1-fetch-csv?limit=20", headers=stranger_headers)
    assert refused.status_code == 409 and refused.get_json()["missingAccount"] == "sipuni"
    give_sipuni_account(db, db.get(Organization, stranger.organization_id), settings)
    own = client.post(f"/sipuni/step1-fetch-csv?limit=20{query.replace('?', '&')}", headers=stranger_headers)
    wait_for_run(client, stranger_headers, own.get_json()["runId"])
    assert csv_path(settings.data_dir, stranger.organization_id).is_file()
    result = wait_for_run(client, stranger_headers, client.post(
        "/sipuni/step2-process-recordings", headers=stranger_headers).get_json()["runId"])
    assert result["processed"] == 0 and result["stats"]["skippedByReason"]["employee_not_found"] == 20
    db.expire_all()
    assert db.scalars(select(Call.organization_id).distinct()).all() == [other_org.id]
    assert sorted(db.scalars(select(Call.id)).all()) == owners_calls
    assert db.get(Organization, stranger.organization_id) is not None
