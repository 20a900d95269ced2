"""Step 1 then step 2 through the API, on a real worker, against the simulator over HTTP."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from shared.models import Call, User
from shared.sipuni.names import csv_path, partial_dir
from tests.support.sipuni import expected_outcomes, wait_for_run
from workers.sipuni.plan import FAN_OUT_CHUNK_CALLS

REASONS = ("employee_not_found", "already_exists", "no_recording", "invalid_row")


def _step1(client, headers, query="limit=60"):
    response = client.post(f"/sipuni/step1-fetch-csv?{query}", headers=headers)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert set(body) == {"success", "taskId", "runId", "statusUrl"} and body["success"] is True
    assert body["statusUrl"] == f"/runs/{body['runId']}"
    run = wait_for_run(client, headers, body["runId"])
    assert run["status"] == "completed", run
    return body, run


def _step2(client, headers, query=""):
    response = client.post(f"/sipuni/step2-process-recordings?{query}", headers=headers)
    assert response.status_code == 202, response.get_json()
    return wait_for_run(client, headers, response.get_json()["runId"])


def _by_reason(**counts):
    return {reason: counts.get(reason, 0) for reason in REASONS}


def test_step1_then_step2_stores_exactly_the_expected_calls_and_a_rerun_stores_nothing(
        client, auth_headers, sipuni, sipuni_org, worker, db, settings):
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    sipuni.format(header="old", bom=True, names=True)  # the 2023 real-file variant

    step1, run1 = _step1(client, headers)
    task = client.get(f"/tasks/{step1['taskId']}", headers=headers).get_json()
    path = csv_path(settings.data_dir, organization.id)
    assert task["result"] == {"success": True, "message": "Successfully fetched and saved 60 records to CSV",
                              "totalRecords": 60, "csvPath": str(path)}
    download = client.get("/sipuni/csv", headers=headers)
    assert download.status_code == 200 and download.data == path.read_bytes()

    run2 = _step2(client, headers)
    expected = expected_outcomes(sipuni.calls())
    tally = Counter(expected.values())
    processed = tally["processed"]
    skipped = tally["employee_not_found"] + tally["no_recording"]
    assert processed and tally["employee_not_found"] and tally["no_recording"]
    assert run2["status"] == "completed"
    assert run2["stats"]["message"] == f"Processed: {processed}, Skipped: {skipped}, Failed: 0"
    assert run2["stats"]["recordsProcessed"] == processed
    assert run2["stats"]["skippedByReason"] == _by_reason(employee_not_found=tally["employee_not_found"],
                                                          no_recording=tally["no_recording"])
    assert (run2["total"], run2["processed"], run2["skipped"], run2["failed"]) == (60, processed, skipped, 0)

    calls = db.scalars(select(Call).where(Call.organization_id == organization.id)).all()
    assert sorted(call.external_id for call in calls) == sorted(k for k, v in expected.items() if v == "processed")
    truth = {call["record_id"]: call for call in sipuni.calls()}
    employees = {user.id: user.ext_code for user in db.scalars(select(User))}
    for call in calls:
        sim = truth[call.external_id]
        assert employees[call.employee_id] == sim["employee_ext"]
        assert call.started_at == datetime.fromtimestamp(sim["epoch"], timezone.utc)
        assert call.direction == sim["direction"] and call.status == ("answered" if sim["answered"] else "missed")
        assert call.call_duration_s == sim["call_s"] and call.raw["ID записи"] == call.external_id
        assert call.sync_run_id == run2["runId"]  # ai_status moves on as the AI tasks run
        stored = Path(settings.data_dir) / call.recording_path  # the storage key, under DATA_DIR
        assert stored.stat().st_size == call.recording_size == sim["recording_size"]
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == call.recording_sha256
    assert not any(partial_dir(settings.data_dir, organization.id).glob("*"))

    log = worker.log()
    missing = next(k for k, v in expected.items() if v == "no_recording")
    assert f"[STEP2] Recording not available for recordId: {missing}" in log
    unknown_ext = next(c["employee_ext"] for c in truth.values() if c["employee_ext"] in ("294", "299"))
    assert f"[STEP2] Employee not found for extCode: {unknown_ext}" in log

    progress = client.get("/sipuni/progress", headers=headers).get_json()
    assert progress["runId"] == run2["runId"] and progress["status"] == "completed"
    assert (progress["total"], progress["processed"], progress["skipped"], progress["failed"]) == \
        (60, processed, skipped, 0)

    rerun = _step2(client, headers)
    assert rerun["stats"]["message"] == f"Processed: 0, Skipped: 60, Failed: 0"
    assert rerun["stats"]["skippedByReason"] == _by_reason(
        employee_not_found=tally["employee_not_found"], already_exists=processed, no_recording=tally["no_recording"])
    assert "[STEP2] Call already exists" in worker.log()
    db.expire_all()
    assert len(db.scalars(select(Call)).all()) == processed


def test_date_filter_is_inclusive_in_the_accounts_local_time(client, auth_headers, sipuni, worker):
    headers = auth_headers("ADMIN")  # no employees: every call is skipped before any download
    sipuni.reset(calls=600, seed=11)
    _step1(client, headers, "limit=600")
    truth = sipuni.calls()
    days = sorted({call["local_date"] for call in truth}, key=lambda d: datetime.strptime(d, "%d.%m.%Y"))
    assert len(days) >= 3
    middle = days[1]
    # Calls between 00:00 and 05:00 local are on the previous day in UTC: the filter must use local time.
    assert any(call["local_date"] == middle and call["local_time"][11:13] < "05" for call in truth)
    in_middle = sum(call["local_date"] == middle for call in truth)
    run = _step2(client, headers, f"from={middle}&to={middle}")
    assert run["total"] == in_middle and run["stats"]["skippedByReason"]["employee_not_found"] == in_middle

    from_middle = sum(datetime.strptime(c["local_date"], "%d.%m.%Y") >= datetime.strptime(middle, "%d.%m.%Y")
                      for c in truth)
    assert from_middle > FAN_OUT_CHUNK_CALLS  # the calls go out in more than one fan-out chunk
    run_from = _step2(client, headers, f"from={middle}")
    assert (run_from["total"], run_from["skipped"]) == (from_middle, from_middle)
    assert _step2(client, headers, f"to={days[0]}")["total"] == sum(c["local_date"] == days[0] for c in truth)
