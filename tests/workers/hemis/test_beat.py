"""Beat: the nightly schedule comes from HEMIS_SYNC_CRON and goes through the locked path, starting
each organization's chain (the lookup lists, students, employees) in turn."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from celeryconfig import beat_schedule, build_config
from shared.hemis.names import run_lock
from shared.models import Organization, SyncRun
from shared.settings import ConfigError
from tests.support.hemis import hemis_settings, own_hemis_organization_id, wait_for_run
from tests.support.workers import PROJECT_ROOT

BEAT_EXIT_WAIT_S = 60
CHAIN_WAIT_S = 30  # for the next run of a chain to start once one has ended
# The nightly order, spelled out (not `shared.hemis.names.NIGHTLY_ORDER`): parents first.
NIGHTLY_KINDS = ("departments", "specialties", "groups", "semesters", "students", "employees")


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


def _runs(factory, organization_id: int) -> list[SyncRun]:  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.scalars(select(SyncRun).where(SyncRun.organization_id == organization_id)
                                    .order_by(SyncRun.started_at)))


def _chain(factory, organization_id: int) -> list[SyncRun]:  # type: ignore[no-untyped-def]
    """The organization's nightly chain, each run waited for in turn until all six have ended."""
    runs: list[SyncRun] = []
    deadline = time.monotonic() + CHAIN_WAIT_S
    while len(runs) < len(NIGHTLY_KINDS):
        started = _runs(factory, organization_id)
        if len(started) > len(runs):
            runs.append(wait_for_run(factory, started[len(runs)].id))
            continue
        assert time.monotonic() < deadline, f"the chain stopped after {[run.kind for run in runs]}"
        time.sleep(0.2)
    return runs


def _started_organizations(result: dict) -> list[int]:  # type: ignore[type-arg]
    return sorted(started["organizationId"] for started in result["started"])


def test_nightly_sync_runs_the_lookup_lists_then_students_then_employees(hemis, worker, celery_app, app, db,
                                                                          hemis_org):
    hemis.reset(students=120, employees=40, seed=5)
    result = celery_app.send_task("hemis.nightly_sync").get(timeout=30)
    assert _started_organizations(result) == [hemis_org.id] and result["skipped"] == []

    runs = _chain(app.extensions["navai"].session_factory, hemis_org.id)

    assert [run.kind for run in runs] == [f"hemis_{kind}" for kind in NIGHTLY_KINDS]
    assert all(run.triggered_by == "beat" for run in runs)
    for earlier, later in zip(runs, runs[1:]):  # each started once the one before had ended
        assert earlier.finished_at <= later.started_at, (earlier.kind, later.kind)
    for run in runs[:4]:  # departments, specialties, groups, semesters: lists the simulator serves
        assert run.status == "completed" and run.processed == run.total > 0, (run.kind, run.errors)
    students, employees = runs[4:]
    assert students.status == "completed" and students.processed == 120, students.errors
    assert employees.status == "completed" and employees.processed == employees.total > 0, employees.errors
    time.sleep(1.0)
    assert len(_runs(app.extensions["navai"].session_factory, hemis_org.id)) == 6  # the chain ends there


def test_nightly_sync_starts_each_organization_with_a_hemis_and_no_schedule_of_its_own(hemis, worker, celery_app,
                                                                                     app, db, settings):
    factory = app.extensions["navai"].session_factory
    only = Organization(name="The only university")  # no HEMIS of its own: the deployment's serves it
    db.add(only)
    db.commit()
    assert _started_organizations(celery_app.send_task("hemis.nightly_sync").get(timeout=30)) == [only.id]
    assert [run.status for run in _chain(factory, only.id)] == ["completed"] * 6  # the simulator is empty

    own = Organization(id=own_hemis_organization_id(), name="Own HEMIS", hemis_url=settings.hemis_api_url,
                       hemis_token=settings.hemis_bearer_token)
    scheduled = Organization(id=own_hemis_organization_id(), name="Own schedule", hemis_url=settings.hemis_api_url,
                             hemis_token=settings.hemis_bearer_token, hemis_sync_schedule="0 3 * * *")
    db.add_all([own, scheduled])
    db.commit()
    # `only` is no longer the deployment's only organization: without a HEMIS of its own it is left out.
    assert _started_organizations(celery_app.send_task("hemis.nightly_sync").get(timeout=30)) == [own.id]
    assert [run.status for run in _chain(factory, own.id)] == ["completed"] * 6
    assert len(_runs(factory, only.id)) == 6 and _runs(factory, scheduled.id) == []


def test_nightly_sync_does_not_overlap_a_running_run(hemis, worker, celery_app, settings, redis_client, db,
                                                     hemis_org):
    lock = run_lock(redis_client, hemis_org.id, NIGHTLY_KINDS[0])
    assert lock.acquire("a-running-run") is None
    result = celery_app.send_task("hemis.nightly_sync").get(timeout=30)
    assert result["started"] == []
    assert result["skipped"] == [{"organizationId": hemis_org.id, "runningRunId": "a-running-run"}]
    assert db.scalar(select(SyncRun)) is None
