"""The whole sync on hosts that share no disk: an S3 server (moto) holds every file.

Worker A (its own DATA_DIR) runs step 1 and is stopped; worker B (another DATA_DIR) runs step 2
and the AI pipeline; the API (a third DATA_DIR) serves the CSV and the recordings. Nothing but the
bucket, PostgreSQL and Redis connects them.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.models import Call
from shared.redis_client import make_redis
from shared.storage.s3 import S3Location
from simulators.ai import AiSimulator
from simulators.sipuni import audio
from tests.conftest import TEST_PASSWORD, settings_with
from tests.support.s3 import s3_server, s3_settings  # noqa: F401 (fixtures)
from tests.support.sipuni import expected_outcomes, wait_for_run

ISOLATED_QUEUES = ("sipuni", "recordings", "ai")
AI_WAIT_S = 90.0


@pytest.fixture
def session_worker_off_sync_queues(session_worker, celery_app) -> Iterator[None]:
    """The shared worker (local storage) must not take this test's tasks."""
    for queue in ISOLATED_QUEUES:
        celery_app.control.cancel_consumer(queue, destination=[session_worker.name], reply=True, timeout=5)
    yield
    for queue in ISOLATED_QUEUES:
        celery_app.control.add_consumer(queue, destination=[session_worker.name], reply=True, timeout=5)


@pytest.fixture
def ai_sim() -> Iterator[AiSimulator]:
    sim = AiSimulator(gemini_key=secrets.token_urlsafe(16)).start()
    yield sim
    sim.stop()


def _login(client, user) -> dict[str, str]:
    token = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()]


def _wait_for_ai(engine_db, organization_id: int) -> list[Call]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + AI_WAIT_S
    while time.monotonic() < deadline:
        engine_db.expire_all()
        calls = engine_db.scalars(select(Call).where(Call.organization_id == organization_id)).all()
        if calls and all(call.ai_status in ("done", "failed", "no_speech") for call in calls):
            return list(calls)
        time.sleep(0.3)
    raise AssertionError(f"AI did not settle: {[(c.id, c.ai_status) for c in calls]}")


def test_step1_step2_and_ai_on_workers_without_a_shared_disk(
        s3_settings, s3_server, sipuni, sipuni_org, ai_sim, db, extra_workers, session_worker_off_sync_queues,
        tmp_path):
    from api import create_app

    admin, organization = sipuni_org
    bucket = S3Location.parse(s3_settings.storage_url).bucket
    dirs = {name: tmp_path / name for name in ("worker_a", "worker_b", "api")}
    for directory in dirs.values():
        directory.mkdir()
    api = create_app(settings_with(s3_settings, data_dir=str(dirs["api"])))
    client = api.test_client()
    headers = _login(client, admin)
    truth = sipuni.calls()
    expected = expected_outcomes(truth)
    html_call = next(k for k, v in expected.items() if v == "processed")
    expected[html_call] = "no_recording"  # an HTML page served as audio/mpeg is no recording
    sipuni.faults(recordContentTypes={"*": "application/force-download"}, htmlRecordings={html_call: "audio/mpeg"})

    # Step 1 on worker A, which then goes away.
    worker_a = extra_workers("host-a", settings=settings_with(s3_settings, data_dir=str(dirs["worker_a"])),
                             queues="sipuni")
    step1 = client.post("/sipuni/step1-fetch-csv?limit=60", headers=headers).get_json()
    assert wait_for_run(client, headers, step1["runId"])["status"] == "completed"
    worker_a.stop()
    csv_object = f"navai/sipuni/{organization.id}/sipuni-all-records.csv"
    csv_bytes = s3_server.read(bucket, csv_object)
    served = client.get("/sipuni/csv", headers=headers)
    assert served.status_code == 200 and served.data == csv_bytes and csv_bytes.count(b"\n") == 61

    # Step 2 and AI on worker B.
    extra_workers("host-b", queues="sipuni,recordings,ai", settings=settings_with(
        s3_settings, data_dir=str(dirs["worker_b"]), stt_api_url=f"{ai_sim.url}/stt", ai_provider="gemini",
        ai_model="gemini-2.5-flash", gemini_api_url=f"{ai_sim.url}/gemini/v1beta", gemini_api_key=ai_sim.gemini_key,
        ai_rate_limit=0, stt_rate_limit=0))
    step2 = client.post("/sipuni/step2-process-recordings", headers=headers).get_json()
    run = wait_for_run(client, headers, step2["runId"])

    tally = Counter(expected.values())
    assert (run["status"], run["total"], run["processed"], run["failed"]) == ("completed", 60, tally["processed"], 0)
    assert run["stats"]["skippedByReason"]["no_recording"] == tally["no_recording"]
    calls = _wait_for_ai(db, organization.id)
    assert sorted(call.external_id for call in calls) == sorted(k for k, v in expected.items() if v == "processed")
    assert {call.ai_status for call in calls} == {"done"}, {call.ai_error for call in calls}
    assert len(ai_sim.requests("stt")) == len(calls)

    sizes = {record["record_id"]: record["recording_size"] for record in truth}
    stored = s3_server.objects(bucket, f"navai/sipuni/{organization.id}/recordings/")
    assert sorted(stored) == sorted(f"navai/{call.recording_path}" for call in calls)
    for call in calls:
        assert call.recording_path.endswith(".mp3") and stored[f"navai/{call.recording_path}"] == sizes[call.external_id]
        body = s3_server.read(bucket, f"navai/{call.recording_path}")
        assert hashlib.sha256(body).hexdigest() == call.recording_sha256 == \
            audio.sha256_of(call.external_id, sizes[call.external_id])

    played = calls[0]
    body = s3_server.read(bucket, f"navai/{played.recording_path}")
    whole = client.get(f"/calls/{played.id}/recording", headers=headers)
    assert (whole.status_code, whole.headers["Content-Type"], whole.data) == (200, "audio/mpeg", body)
    ranged = client.get(f"/calls/{played.id}/recording", headers={**headers, "Range": "bytes=1000-1999"})
    assert (ranged.status_code, ranged.data) == (206, body[1000:2000])
    assert ranged.headers["Content-Range"] == f"bytes 1000-1999/{len(body)}"

    # Task results carry ids and counts: no phone number of the CSV is in the result backend.
    redis = make_redis(s3_settings.redis_url)
    results = " ".join(redis.get(key) or "" for key in redis.scan_iter("celery-task-meta-*"))
    phones = {value for record in truth for value in (record["caller"], record["callee"]) if len(value) >= 9}
    assert "fan_out" not in results and '"queued"' in results and phones
    assert [phone for phone in phones if phone in results] == []

    # No host kept a file of its own: everything is in the bucket.
    assert [_files(directory) for directory in dirs.values()] == [[], [], []]
    api.extensions["navai"].engine.dispose()
