"""Step 1 keeps every export row in the call log, once, however often it runs."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from shared.models import CallLogEntry, User
from tests.support.sipuni import wait_for_run


def _step1(client, headers, query="limit=80"):
    response = client.post(f"/sipuni/step1-fetch-csv?{query}", headers=headers)
    assert response.status_code == 202, response.get_json()
    run = wait_for_run(client, headers, response.get_json()["runId"])
    assert run["status"] == "completed", run
    return run


def test_every_export_row_is_in_the_call_log_once(client, auth_headers, sipuni, sipuni_org, worker, db):
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    sipuni.reset(calls=80, seed=3)
    sipuni.format(header="old", bom=True, names=True)
    _step1(client, headers)
    _step1(client, headers)  # the same export again: nothing is added twice

    truth = {call["record_id"]: call for call in sipuni.calls()}
    entries = db.scalars(select(CallLogEntry).where(CallLogEntry.organization_id == organization.id)).all()
    assert sorted(entry.record_id for entry in entries) == sorted(truth)
    by_ext = {user.ext_code: user.id for user in db.scalars(select(User).where(User.ext_code.is_not(None)))}
    for entry in entries:
        sim = truth[entry.record_id]
        assert entry.direction == sim["direction"]
        assert entry.status == ("answered" if sim["answered"] else "missed")
        assert entry.started_at == datetime.fromtimestamp(sim["epoch"], timezone.utc)
        assert entry.ext_code == sim["employee_ext"]
        assert entry.employee_id == by_ext.get(sim["employee_ext"])
        assert (entry.call_duration_s, entry.talk_duration_s) == (sim["call_s"], sim["talk_s"])
        assert entry.has_recording is True  # the export says "1" on every row, as the real ones do
    missed = sum(not call["answered"] for call in truth.values())
    assert missed and db.scalar(select(func.count()).select_from(CallLogEntry)
                                .where(CallLogEntry.status == "missed")) == missed


def test_a_newer_export_adds_only_the_new_calls(client, auth_headers, sipuni, sipuni_org, worker, db):
    admin, _organization = sipuni_org
    headers = auth_headers(user=admin)
    sipuni.reset(calls=50, seed=3)
    _step1(client, headers, "limit=30")  # the newest 30
    assert db.scalar(select(func.count()).select_from(CallLogEntry)) == 30
    _step1(client, headers, "limit=50")  # all 50: 30 known, 20 new
    assert db.scalar(select(func.count()).select_from(CallLogEntry)) == 50
