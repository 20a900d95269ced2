"""`GET /metrics` after a HEMIS run and a Sipuni step 2 on two workers: parsed with prometheus_client's
parser, its counts equal the runs' records, and they outlive the worker that produced them."""

from __future__ import annotations

import secrets
from collections import defaultdict

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from api import create_app
from shared.models import Call, SyncRun
from simulators.hemis.control import SimulatorControl
from tests.conftest import settings_with
from tests.support.hemis import fresh_simulator
from tests.support.hemis import wait_for_run as wait_for_record
from tests.support.sipuni import wait_for_run

STUDENTS = 230  # 5 pages of 50


def scrape(client, headers=None) -> dict[str, dict[tuple, float]]:
    """Samples by name, then by their labels as a sorted tuple of (label, value)."""
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.data[:500]
    assert response.content_type.startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = defaultdict(dict)
    for family in text_string_to_metric_families(response.data.decode()):
        for sample in family.samples:
            samples[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
    return samples


@pytest.fixture
def hemis(settings) -> SimulatorControl:
    return fresh_simulator(settings, students=STUDENTS, seed=3)


def test_metrics_count_what_the_runs_recorded_across_two_workers(
        hemis, sipuni, sipuni_org, worker, extra_workers, client, auth_headers, app, db):
    second = extra_workers("metrics-b", concurrency=2)
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    factory = app.extensions["navai"].session_factory

    hemis_run = client.post("/api/hemis/sync/students", headers=headers).get_json()["runId"]
    step1 = client.post("/sipuni/step1-fetch-csv?limit=60", headers=headers).get_json()["runId"]
    assert wait_for_run(client, headers, step1)["status"] == "completed"
    step2 = client.post("/sipuni/step2-process-recordings", headers=headers).get_json()["runId"]
    assert wait_for_run(client, headers, step2)["status"] == "completed"
    hemis_record = wait_for_record(factory, hemis_run)
    assert hemis_record.status == "completed"
    step2_record = db.get(SyncRun, step2)
    db.refresh(step2_record)

    samples = scrape(client)
    runs = samples["navai_sync_runs_total"]
    assert runs[(("kind", "hemis_students"), ("status", "completed"))] == 1
    assert runs[(("kind", "sipuni_step1"), ("status", "completed"))] == 1
    assert runs[(("kind", "sipuni_step2"), ("status", "completed"))] == 1
    assert all(value == 0 for value in samples["navai_sync_runs_running"].values())
    assert samples["navai_sync_run_duration_seconds_count"][(("kind", "hemis_students"),)] == 1
    assert samples["navai_sync_run_duration_seconds_bucket"][(("kind", "sipuni_step2"), ("le", "+Inf"))] == 1

    records = samples["navai_records_synced_total"]
    assert records[(("kind", "students"),)] == hemis_record.processed == STUDENTS
    assert records[(("kind", "calls"),)] == step2_record.processed > 0
    assert records[(("kind", "employees"),)] == 0

    upstream = samples["navai_upstream_requests_total"]
    pages = hemis_record.stats["pagesTotal"]
    assert upstream[(("outcome", "2xx"), ("upstream", "hemis"))] >= pages == 5
    # One export request, then one recording download per call that reached the download step.
    assert upstream[(("outcome", "2xx"), ("upstream", "sipuni"))] >= 1 + step2_record.processed
    assert upstream[(("outcome", "error"), ("upstream", "hemis"))] == 0

    stored_calls = db.scalar(select(func.count()).select_from(Call))
    assert sum(samples["navai_ai_calls"].values()) == stored_calls == step2_record.processed
    assert samples["navai_workers_online"][()] >= 2
    assert set(dict(samples["navai_queue_messages"]).keys()) >= {(("queue", "hemis"),), (("queue", "ai"),)}

    # The counters live in Redis, not in a worker: stopping one changes nothing.
    second.stop()
    again = scrape(client)
    assert again["navai_records_synced_total"] == records
    assert again["navai_upstream_requests_total"][(("outcome", "2xx"), ("upstream", "hemis"))] == \
        upstream[(("outcome", "2xx"), ("upstream", "hemis"))]


def test_metrics_token_is_required_when_set(settings):
    token = secrets.token_urlsafe(24)  # METRICS_TOKEN needs 24+ characters
    app = create_app(settings_with(settings, metrics_token=token))
    client = app.test_client()
    try:
        refused = client.get("/metrics")
        assert refused.status_code == 401 and "METRICS_TOKEN" in refused.get_json()["message"]
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and b"navai_workers_online" in ok.data
    finally:
        app.extensions["navai"].engine.dispose()


def test_a_running_run_is_a_gauge_not_a_counted_run(client, db):
    from shared.runs.record import create_run, new_run_id

    create_run(db, new_run_id(), "sipuni_step2")
    db.commit()
    samples = scrape(client)
    assert samples["navai_sync_runs_running"][(("kind", "sipuni_step2"),)] == 1
    assert samples["navai_sync_runs_total"] == {}  # counters hold finished runs only (they never go down)
    assert samples["navai_sync_run_duration_seconds_count"][(("kind", "sipuni_step2"),)] == 0


def test_run_durations_fall_into_their_buckets(client, db):
    from datetime import timedelta

    from shared.models import utcnow
    from shared.runs.record import create_run, finish_run, new_run_id

    end = utcnow()
    for seconds in (0.5, 10, 100):
        run_id = new_run_id()
        create_run(db, run_id, "hemis_employees").started_at = end - timedelta(seconds=seconds)
        finish_run(db, run_id, "completed", total=1, processed=1, finished_at=end)
    db.commit()
    samples = scrape(client)
    buckets = {dict(labels)["le"]: value for labels, value in samples["navai_sync_run_duration_seconds_bucket"].items()
               if dict(labels)["kind"] == "hemis_employees"}
    assert (buckets["1.0"], buckets["5.0"], buckets["15.0"], buckets["60.0"], buckets["120.0"], buckets["+Inf"]) == \
        (1, 1, 2, 2, 3, 3)
    assert samples["navai_sync_run_duration_seconds_sum"][(("kind", "hemis_employees"),)] == pytest.approx(110.5)
