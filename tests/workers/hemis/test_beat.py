"""Beat: the nightly schedule comes from HEMIS_SYNC_CRON and goes through the locked path."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from celeryconfig import beat_schedule, build_config
from shared.hemis.names import run_lock
from shared.models import SyncRun
from shared.settings import ConfigError
from tests.support.hemis import hemis_settings, wait_for_run
from tests.support.workers import PROJECT_ROOT

BEAT_EXIT_WAIT_S = 60


def test_schedule_is_built_from_hemis_sync_cron(settings):
    schedule = beat_schedule(hemis_settings(settings, hemis_sync_cron="30 2 * * 1-5"))
    nightly = schedule["hemis-nightly-sync"]
    assert nightly["task"] == "hemis.nightly_sync"
    cron = nightly["schedule"]
    assert cron.minute == {30} and cron.hour == {2} and cron.day_of_week == {1, 2, 3, 4, 5}
    assert build_config(settings)["beat_schedule"]["hemis-nightly-sync"]["schedule"].hour == {1}
    assert build_config(settings)["timezone"] == "UTC"


@pytest.mark.parametrize("expression", ["61 1 * * *", "0 1 * *", "every night", "0 1 * * * *"])
def test_an_invalid_cron_is_refused_with_a_clear_message(settings, expression):
    with pytest.raises(ConfigError, match="HEMIS_SYNC_CRON"):
        beat_schedule(hemis_settings(settings, hemis_sync_cron=expression))


def test_beat_stops_at_start_on_an_invalid_cron(settings):
    env = {**os.environ, **settings.to_env(), "HEMIS_SYNC_CRON": "0 25 * * *"}
    result = subprocess.run([sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel", "INFO",
                             "--schedule", os.devnull], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            timeout=BEAT_EXIT_WAIT_S)
    assert result.returncode != 0
    assert b"HEMIS_SYNC_CRON='0 25 * * *' is not a valid" in result.stdout + result.stderr


def test_nightly_sync_runs_students_then_employees(hemis, worker, celery_app, app, db):
    hemis.reset(students=120, employees=40, seed=5)
    celery_app.send_task("hemis.nightly_sync").get(timeout=30)
    factory = app.extensions["navai"].session_factory
    students = db.scalar(select(SyncRun).where(SyncRun.kind == "hemis_students"))
    assert students.triggered_by == "beat"
    assert wait_for_run(factory, students.id).status == "completed"
    deadline = time.monotonic() + 30
    while (employees := db.scalar(select(SyncRun).where(SyncRun.kind == "hemis_employees"))) is None:
        assert time.monotonic() < deadline, "the employees run was not started after the students run"
        time.sleep(0.2)
    assert wait_for_run(factory, employees.id).status == "completed"


def test_nightly_sync_does_not_overlap_a_running_run(hemis, worker, celery_app, settings, redis_client, db):
    lock = run_lock(redis_client, "students")
    assert lock.acquire("a-running-run") is None
    result = celery_app.send_task("hemis.nightly_sync").get(timeout=30)
    assert result["runId"] == "a-running-run" and "already running" in result["skipped"]
    assert db.scalar(select(SyncRun)) is None
