"""Shared HEMIS test helpers: the simulator for the session, waiting for runs, comparing with its data."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Employee, Student, SyncRun
from shared.settings import Settings
from simulators.hemis.control import SimulatorControl
from simulators.hemis.dataset import Dataset
from workers.hemis.mapping import employee_row, student_row

RUN_WAIT_S = 120.0
FINISHED = ("completed", "completed_with_errors", "failed")
# Ids for organizations with a HEMIS of their own, never reused within a test session and far from
# the ids the emptied tables hand out again from 1. A worker remembers each organization's HEMIS for
# a while (`workers.upstream.tenant_cache`, keyed by the id): an id that was another test's
# organization (served by the deployment's HEMIS, or by another simulated instance) would get that
# organization's HEMIS, and its data.
_OWN_HEMIS_IDS = itertools.count(1_000_000)


def own_hemis_organization_id() -> int:
    """A fresh id for an `Organization` given its own HEMIS in a test (see `_OWN_HEMIS_IDS`)."""
    return next(_OWN_HEMIS_IDS)


def wait_for_run(session_factory: Any, run_id: str, timeout_s: float = RUN_WAIT_S) -> SyncRun:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with session_factory() as session:
            run = session.get(SyncRun, run_id)
            if run is not None and run.status in FINISHED:
                return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish within {timeout_s}s")


def expected_rows(kind: str, count: int, seed: int, duplicate_persons: int = 0) -> dict[str, dict[str, Any]]:
    """What the database must hold after a full sync: the simulator's items through the mapping
    (students by enrolment, employees by position row)."""
    dataset = Dataset(kind, count, seed, duplicate_persons=duplicate_persons)
    if kind == "students":
        return {row["enrolment_key"]: row for row in map(student_row, dataset.all_items())}
    return {row["meta_id"]: row for row in map(employee_row, dataset.all_items())}


def stored_rows(session: Session, kind: str) -> dict[str, Any]:
    if kind == "students":
        return {s.enrolment_key: s for s in session.scalars(select(Student))}
    return {e.meta_id: e for e in session.scalars(select(Employee))}


def assert_matches_simulator(session: Session, kind: str, count: int, seed: int, duplicate_persons: int = 0) -> None:
    expected = expected_rows(kind, count, seed, duplicate_persons)
    stored = stored_rows(session, kind)
    assert set(stored) == set(expected)
    for key, row in expected.items():
        record = stored[key]
        for column, value in row.items():
            assert getattr(record, column) == value, (key, column, getattr(record, column), value)


@contextmanager
def only_these_workers_on_hemis(celery_app: Celery, session_worker_name: str) -> Iterator[None]:
    """Take the session worker off the `hemis` queue, so that only the test's own workers (with
    their own settings) take HEMIS tasks; put it back afterwards."""
    celery_app.control.cancel_consumer("hemis", destination=[session_worker_name], reply=True, timeout=5)
    try:
        yield
    finally:
        celery_app.control.add_consumer("hemis", destination=[session_worker_name], reply=True, timeout=5)


def hemis_settings(settings: Settings, **changes: object) -> Settings:
    from tests.conftest import settings_with

    return settings_with(settings, **changes)


_SERVER: Any = None


def simulator_for(settings: Settings) -> Any:
    """The one in-process simulator of this test session, on the port `hemis_api_url` names."""
    import threading
    from urllib.parse import urlparse

    from simulators.hemis.server import make_server

    global _SERVER
    if _SERVER is None:
        port = urlparse(settings.hemis_api_url).port
        _SERVER = make_server("127.0.0.1", int(port or 0), settings.hemis_bearer_token, 0, 0, 1)
        threading.Thread(target=_SERVER.serve_forever, daemon=True).start()
    return _SERVER


def fresh_simulator(settings: Settings, *, students: int = 0, employees: int = 0, seed: int = 1) -> SimulatorControl:
    """The session's simulator (on the port `hemis_api_url` names) as a test wants it: no named
    instance left from another test, this data, no fault or latency, the session's token."""
    simulator_for(settings)
    control = SimulatorControl(settings.hemis_api_url)
    control.delete_instances()
    control.reset(students=students, employees=employees, seed=seed)
    control.config(token=settings.hemis_bearer_token)
    return control
