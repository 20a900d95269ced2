"""Scheduled call syncs: each organization's cron, in its time zone, through the locked path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from shared.models import Call, CallLogEntry, Organization, SyncRun
from shared.runs.locks import RunLock
from shared.sipuni.names import step2_scope
from tests.support.sipuni import expected_outcomes, wait_for_run
from tests.support.workers import PROJECT_ROOT
from workers.sipuni.schedules import claim_due, sync_window, usable_next_due

TZ = "Asia/Tashkent"
BEAT_TICK_S = 1
SCHEDULED_RUN_WAIT_S = 150.0  # up to a minute until "* * * * *" is due, then the sync itself
# Stored schedules beat cannot use, as a database edit or an older release could leave them: a day
# that never comes, text that is no cron, a zone that does not exist.
UNUSABLE = (("0 0 30 2 *", "UTC"), ("every night", "UTC"), ("0 2 * * *", "Mars/Olympus_Mons"), ("", "UTC"))


def _org_with_schedule(db, organization, schedule, due_at):
    organization.sync_schedule, organization.time_zone, organization.next_scheduled_sync_at = schedule, TZ, due_at
    db.commit()


def test_a_due_schedule_is_claimed_once_and_moves_on(sipuni_org, db):
    _admin, organization = sipuni_org
    now = datetime.now(timezone.utc)
    _org_with_schedule(db, organization, "0 2 * * *", now - timedelta(seconds=5))
    claimed = claim_due(db, now)
    db.commit()
    assert [item.organization_id for item in claimed] == [organization.id]
    assert claim_due(db, now) == []  # a second, overlapping tick finds nothing due
    db.refresh(organization)
    local_due = organization.next_scheduled_sync_at.astimezone(ZoneInfo(TZ))
    assert (local_due.hour, local_due.minute) == (2, 0) and organization.next_scheduled_sync_at > now


def _unusable_orgs(db, due_at):
    organizations = [Organization(name=f"Broken {n}", sync_schedule=schedule, time_zone=zone,
                                  next_scheduled_sync_at=due_at) for n, (schedule, zone) in enumerate(UNUSABLE)]
    db.add_all(organizations)
    db.commit()
    return organizations


def test_an_unusable_stored_schedule_is_skipped_and_logged_and_the_others_are_claimed(sipuni_org, db, caplog):
    _admin, organization = sipuni_org
    now = datetime.now(timezone.utc)
    due_at = now - timedelta(seconds=5)
    broken = _unusable_orgs(db, due_at)
    _org_with_schedule(db, organization, "0 2 * * *", due_at)
    with caplog.at_level("ERROR", logger="navai.sipuni.schedule"):
        claimed = claim_due(db, now)
    db.commit()
    assert [item.organization_id for item in claimed] == [organization.id]
    unusable = [record.getMessage() for record in caplog.records if "unusable, skipped" in record.getMessage()]
    assert len(unusable) == len(UNUSABLE), unusable
    for org in broken:
        db.refresh(org)
        assert org.next_scheduled_sync_at == due_at  # left as it was: fixed through the API, it counts again


def test_a_schedule_with_no_due_time_within_a_year_is_unusable():
    leap_day = "0 0 29 2 *"
    assert usable_next_due(1, leap_day, "UTC", datetime(2026, 3, 1, tzinfo=timezone.utc)) is None  # 2028 is too far
    assert usable_next_due(1, leap_day, "UTC", datetime(2027, 3, 1, tzinfo=timezone.utc)) == \
        datetime(2028, 2, 29, tzinfo=timezone.utc)


def test_beat_keeps_starting_the_good_schedules_next_to_unusable_ones(
        client, auth_headers, sipuni, sipuni_org, worker, settings, db, tmp_path):
    admin, organization = sipuni_org
    local_now = datetime.now(ZoneInfo(TZ)).replace(tzinfo=None, microsecond=0)
    sipuni.reset(calls=10, seed=3, newest_local=(local_now - timedelta(minutes=1)).isoformat())
    due_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    broken = _unusable_orgs(db, due_at)
    _org_with_schedule(db, organization, "0 2 * * *", due_at)
    beat = _start_beat(settings.replace(sync_schedule_tick_s=BEAT_TICK_S), tmp_path)
    try:
        run = _wait_for_scheduled_step2(db, organization.id, beat)
        body = wait_for_run(client, auth_headers(user=admin), run.id)
    finally:
        _stop(beat)
    assert body["status"] == "completed" and body["triggeredBy"] == "schedule", body
    assert db.scalar(select(func.count()).select_from(SyncRun).where(
        SyncRun.organization_id.in_([org.id for org in broken]))) == 0
    log = worker.log()
    for org in broken:
        assert f"organization {org.id}: schedule" in log and "unusable, skipped" in log


def test_the_window_starts_at_the_last_successful_scheduled_sync(sipuni_org, db):
    _admin, organization = sipuni_org
    now = datetime(2026, 3, 10, 20, 30, tzinfo=timezone.utc)  # 01:30 on March 11th in Tashkent
    window = sync_window(db, organization.id, TZ, now)
    assert (window.date_from, window.date_to) == ("10.03.2026", "11.03.2026")  # yesterday on the first
    for started, status, by in ((datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc), "completed", "schedule"),
                                (datetime(2026, 3, 8, 9, 0, tzinfo=timezone.utc), "failed", "schedule"),
                                (datetime(2026, 3, 9, 9, 0, tzinfo=timezone.utc), "completed", "user:1")):
        db.add(SyncRun(id=f"run-{started.day}", kind="sipuni_step2", status=status, organization_id=organization.id,
                       triggered_by=by, started_at=started, errors=[], stats={}))
    db.commit()
    window = sync_window(db, organization.id, TZ, now)
    assert (window.date_from, window.date_to) == ("07.03.2026", "11.03.2026")  # 01:00 on the 7th, local


def test_a_run_still_going_skips_the_tick(sipuni_org, db, worker, celery_app, redis_client):
    _admin, organization = sipuni_org
    _org_with_schedule(db, organization, "*/5 * * * *", datetime.now(timezone.utc) - timedelta(seconds=1))
    assert RunLock(redis_client, step2_scope(organization.id)).acquire("a-running-run") is None
    result = celery_app.send_task("sipuni.scheduled_syncs").get(timeout=30)
    assert result == {"started": [], "skipped": [{"organizationId": organization.id, "runningRunId": "a-running-run"}]}
    assert "skipped, run a-running-run is still going" in worker.log()
    assert db.scalar(select(func.count()).select_from(SyncRun)) == 0
    db.refresh(organization)
    assert organization.next_scheduled_sync_at > datetime.now(timezone.utc)  # the tick is spent, not retried


def test_a_schedule_set_through_the_api_starts_a_sync_with_beat_running(
        client, auth_headers, sipuni, sipuni_org, worker, settings, db, tmp_path):
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    local_now = datetime.now(ZoneInfo(TZ)).replace(tzinfo=None, microsecond=0)
    sipuni.reset(calls=40, seed=5, newest_local=(local_now - timedelta(minutes=1)).isoformat())
    truth = sipuni.calls()
    beat = _start_beat(settings.replace(sync_schedule_tick_s=BEAT_TICK_S), tmp_path)
    try:
        # Beat is already running: the schedule set now must be picked up without a restart.
        response = _patch_settings_every_minute_allowed(settings, {"syncSchedule": "* * * * *", "timeZone": TZ},
                                                        headers)
        assert response.status_code == 200, response.get_json()
        run = _wait_for_scheduled_step2(db, organization.id, beat)
        body = wait_for_run(client, headers, run.id)
    finally:
        log = _stop(beat)
    assert body["status"] == "completed" and body["triggeredBy"] == "schedule", body
    step1 = db.scalar(select(SyncRun).where(SyncRun.kind == "sipuni_step1", SyncRun.triggered_by == "schedule"))
    assert step1 is not None and step1.status == "completed" and step1.total == len(truth)
    expected = Counter(expected_outcomes(truth).values())
    assert body["processed"] == expected["processed"] and body["total"] == len(truth)
    assert db.scalar(select(func.count()).select_from(Call)) == expected["processed"]
    assert db.scalar(select(func.count()).select_from(CallLogEntry)) == len(truth)
    assert "sipuni.scheduled_syncs" in log


def _patch_settings_every_minute_allowed(settings, body, headers):
    """PATCH /settings on an API whose SYNC_MIN_INTERVAL_S allows a schedule every minute (the
    default, 900 s, refuses one with 409)."""
    from api import create_app

    app = create_app(settings.replace(sync_min_interval_s=60))
    try:
        return app.test_client().patch("/settings", json=body, headers=headers)
    finally:
        app.extensions["navai"].engine.dispose()


def _start_beat(settings, tmp_path):
    env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
    log_path = tmp_path / "beat.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel", "INFO",
             "--schedule", str(tmp_path / "beat-schedule")],
            cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    return process, log_path


def _stop(beat) -> str:
    process, log_path = beat
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    return log_path.read_text(errors="replace")


def _wait_for_scheduled_step2(db, organization_id, beat):
    deadline = time.monotonic() + SCHEDULED_RUN_WAIT_S
    while time.monotonic() < deadline:
        assert beat[0].poll() is None, f"beat exited:\n{beat[1].read_text(errors='replace')}"
        db.expire_all()
        run = db.scalar(select(SyncRun).where(SyncRun.organization_id == organization_id,
                                              SyncRun.kind == "sipuni_step2", SyncRun.triggered_by == "schedule"))
        if run is not None:
            return run
        time.sleep(0.5)
    raise AssertionError(f"no scheduled run started:\n{beat[1].read_text(errors='replace')}")
