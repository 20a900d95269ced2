"""Bounded triggers (issue #12, point 6): what an admin can queue has limits."""

from __future__ import annotations

import pytest

from shared.models import Call, Organization
from tests.support.calls import make_call
from tests.support.hemis import only_these_workers_on_hemis
from tests.support.sipuni import give_sipuni_account, sipuni, sipuni_org  # noqa: F401 (fixtures)


@pytest.fixture
def sipuni_admin(make_user, db, settings):  # type: ignore[no-untyped-def]
    admin = make_user("ADMIN")
    give_sipuni_account(db, db.get(Organization, admin.organization_id), settings)
    return admin


def test_one_step1_per_organization_at_a_time(client, auth_headers, sipuni_admin, make_user, db, settings):
    headers = auth_headers(user=sipuni_admin)
    first = client.post("/sipuni/step1-fetch-csv?limit=10", headers=headers)
    assert first.status_code == 202
    second = client.post("/sipuni/step1-fetch-csv?limit=10", headers=headers)
    assert second.status_code == 409 and second.get_json()["runId"] == first.get_json()["runId"]
    other = make_user("ADMIN")  # another organization is not blocked by it
    give_sipuni_account(db, db.get(Organization, other.organization_id), settings)
    assert client.post("/sipuni/step1-fetch-csv?limit=10", headers=auth_headers(user=other)).status_code == 202


def test_a_finished_step1_frees_its_organization(client, auth_headers, sipuni_admin, db):
    from shared.runs.record import finish_run

    headers = auth_headers(user=sipuni_admin)
    first = client.post("/sipuni/step1-fetch-csv?limit=10", headers=headers).get_json()
    finish_run(db, first["runId"], "completed", total=0, processed=0)
    db.commit()
    assert client.post("/sipuni/step1-fetch-csv?limit=10", headers=headers).status_code == 202


@pytest.mark.parametrize("path", ["/sipuni/step1-fetch-csv", "/sipuni/step2-process-recordings"])
def test_a_window_longer_than_sipuni_max_window_days_is_400(path, client, auth_headers, sipuni_admin):
    headers = auth_headers(user=sipuni_admin)
    too_long = client.post(f"{path}?from=01.01.0001&to=31.12.9999", headers=headers)
    assert too_long.status_code == 400 and "to" in too_long.get_json()["errors"]
    assert client.post(f"{path}?from=01.01.2024&to=01.01.2025", headers=headers).status_code == 400  # 367 days
    assert client.post(f"{path}?from=01.01.2024&to=31.12.2024", headers=headers).status_code in (202, 404)


def test_reprocessing_skips_calls_already_queued_and_says_how_many(app_without_workers, client, auth_headers, make_user,
                                                                  db, settings):
    # The calls must stay queued: no worker may take them (the session's worker would, and clear the marks).
    admin = make_user("ADMIN")
    calls = [make_call(db, settings, admin.organization_id, ai_status="pending") for _ in range(3)]
    running = make_call(db, settings, admin.organization_id, ai_status="transcribing")
    headers = auth_headers(user=admin)
    first = client.post("/calls/reprocess?status=pending", headers=headers).get_json()
    assert first["count"] == 3 and first["skipped"] == 0
    again = client.post("/calls/reprocess?status=pending", headers=headers).get_json()
    assert again["count"] == 0 and again["skipped"] == 3 and again["taskIds"] == []
    assert client.post(f"/calls/{calls[0].id}/reprocess", headers=headers).status_code == 409
    busy = client.post("/calls/reprocess?status=transcribing", headers=headers).get_json()
    assert busy["count"] == 0 and busy["skipped"] == 1
    assert client.post(f"/calls/{running.id}/reprocess", headers=headers).status_code == 409
    db.expire_all()
    assert db.get(Call, running.id).ai_status == "transcribing"


def test_reprocessed_calls_run_once_the_worker_took_them(client, auth_headers, make_user, db, settings, worker):
    """The queued mark is cleared when the task starts: a finished call can be reprocessed again."""
    import time

    admin = make_user("ADMIN")
    call = make_call(db, settings, admin.organization_id, ai_status="failed")
    headers = auth_headers(user=admin)
    assert client.post(f"/calls/{call.id}/reprocess", headers=headers).status_code == 202
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.expire_all()
        if db.get(Call, call.id).ai_status not in ("pending", "transcribing", "analyzing"):
            break
        time.sleep(0.2)
    assert db.get(Call, call.id).ai_status == "not_configured"  # the test deployment has no AI provider
    assert client.post(f"/calls/{call.id}/reprocess", headers=headers).status_code == 202


def test_at_most_max_criteria_active_criteria(client, auth_headers, settings):
    headers = auth_headers("ADMIN")
    for number in range(settings.max_criteria):
        assert client.post("/criteria", json={"name": f"rule {number}"}, headers=headers).status_code == 201
    refused = client.post("/criteria", json={"name": "one too many"}, headers=headers)
    assert refused.status_code == 409 and "MAX_CRITERIA=30" in refused.get_json()["message"]
    first_id = client.get("/criteria", headers=headers).get_json()["criteria"][0]["id"]
    assert client.delete(f"/criteria/{first_id}", headers=headers).status_code == 200
    assert client.post("/criteria", json={"name": "one too many"}, headers=headers).status_code == 201


def test_at_most_ten_single_hemis_syncs_queued_per_organization(client, auth_headers, make_user, worker, celery_app,
                                                                 hemis_org, db, settings):
    from shared.models import Organization

    headers = auth_headers("ADMIN", user=make_user(organization=hemis_org))
    other = Organization(name="Another university", hemis_url=settings.hemis_api_url,
                         hemis_token=settings.hemis_bearer_token)
    db.add(other)
    db.commit()
    # No worker takes HEMIS tasks meanwhile, so the ten stay queued (a worker would finish them).
    with only_these_workers_on_hemis(celery_app, worker.name):
        for number in range(10):
            response = client.post("/api/hemis/sync/student", json={"student_id_number": str(number)},
                                   headers=headers)
            assert response.status_code == 202
        refused = client.post("/api/hemis/sync/employee", json={"employee_id_number": "x"}, headers=headers)
        # Another organization's queue is its own: the first one's ten do not refuse it.
        elsewhere = client.post("/api/hemis/sync/employee", json={"employee_id_number": "x"},
                                headers=auth_headers("ADMIN", user=make_user(organization=other)))
        purge_queue(celery_app, "hemis")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["errors"]["queued"] == 10
    assert elsewhere.status_code == 202


def test_calls_step2_queued_for_analysis_are_not_queued_again(settings, auth_headers, sipuni, sipuni_org,
                                                              extra_workers, redis_client, db):
    """Only a worker without the `ai` queue, on a Redis DB of its own (no other worker can take the
    AI tasks): those step 2 queues stay queued, and reprocessing the pending calls skips them all."""
    from sqlalchemy import func, select

    from api import create_app
    from shared.redis_client import make_redis
    from tests.conftest import settings_with
    from tests.support.services import redis_url_with_db, reset_redis
    from tests.support.sipuni import wait_for_run

    db_number = redis_client.connection_pool.connection_kwargs.get("db", 0) + 1
    isolated = settings_with(settings, redis_url=redis_url_with_db(settings.redis_url, db_number % 16))
    reset_redis(make_redis(isolated.redis_url))
    extra_workers("no-ai", settings=isolated, queues="default,sipuni,recordings")
    app = create_app(isolated)
    client = app.test_client()
    try:
        admin, organization = sipuni_org
        headers = auth_headers(user=admin)
        step1 = client.post("/sipuni/step1-fetch-csv?limit=20", headers=headers).get_json()
        wait_for_run(client, headers, step1["runId"])
        step2 = client.post("/sipuni/step2-process-recordings", headers=headers).get_json()
        wait_for_run(client, headers, step2["runId"])
        stored = db.scalar(select(func.count()).select_from(Call).where(Call.organization_id == organization.id))
        assert stored > 0
        again = client.post("/calls/reprocess?status=pending", headers=headers).get_json()
        assert again["count"] == 0 and again["skipped"] == stored
    finally:
        app.extensions["navai"].engine.dispose()
        reset_redis(make_redis(isolated.redis_url))


def purge_queue(celery_app, queue: str) -> None:  # type: ignore[no-untyped-def]
    """Drop the queue's waiting messages, so that they do not run in a later test."""
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)
