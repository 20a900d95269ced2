"""The race of bench/hemis_many.py: every organization's students run started at one moment on two
real worker processes at the default concurrency, each organization on its own simulated HEMIS,
with the figures taken around it (worker CPU, Redis commands, the machine's load)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.hemis_many_support.fleet import HEALTHY, UNREACHABLE, WRONG_TOKEN, Instance, Pace
from bench.hemis_many_support.fleet_server import configure, start_fleet_server, url_of
from bench.hemis_many_support.timeline import Timeline, busy_share, machine_busy_ticks
from bench.scale_support.meters import groups_cpu_s, read_redis
from bench.scale_support.scenarios import WORKER_PROCESSES
from bench.scale_support.stages import Upstreams
from shared.catalog import QUEUE_HEMIS
from shared.db import make_session_factory, session_scope
from shared.hemis.start import start_full_run
from shared.models import Organization, SyncRun
from shared.redis_client import make_redis
from shared.services import Services
from shared.settings import DEFAULT_WORKER_CONCURRENCY, Settings
from simulators.hemis.control import SimulatorControl
from tests.support.services import free_port
from tests.support.workers import WorkerProcess, start_worker
from workers import create_celery

FINISH_POLL_S = 0.25
RUN_TIMEOUT_MARGIN_S = 300.0  # past three times the slowest ideal, the bench gives up
STUDENT_LIST = "student-list"
CALIBRATION_NAME = "calibration"


@dataclass(frozen=True)
class Finished:
    """One instance's run as recorded in `sync_runs`, with what its simulator saw."""

    instance: Instance
    status: str
    started_at: datetime
    finished_at: datetime
    processed: int
    error: str
    requests: int = 0  # student-list requests the simulator saw
    refused: int = 0  # of which answered 429
    last_request_s: float | None = None  # when the last one arrived, seconds after the run's start

    @property
    def measured_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


@dataclass
class RaceFigures:
    finished: list[Finished]
    worker_cpu_s: float
    simulator_cpu_s: float
    redis_commands: int
    machine_busy: float  # share of the machine's two CPUs busy during the race (every process on it)
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    start_spread_s: float  # between the first and the last run's start
    timeline: Timeline
    calibration_pages_per_s: float | None = None
    calibration_cpu_s_per_page: float | None = None


@dataclass(frozen=True)
class Venue:
    """Where the race happens: the fleet's URLs and tokens, one simulator process."""

    urls: dict[str, str]
    tokens: dict[str, str]
    simulator: subprocess.Popen[bytes]
    controls: dict[str, SimulatorControl]


def set_up_venue(fleet: list[Instance], latency_ms: float, calibration: Instance | None, stack: ExitStack) -> Venue:
    """A port per instance; the served ones (not the unreachable one) in one simulator process."""
    everyone = fleet + ([calibration] if calibration else [])
    ports = {instance.name: free_port() for instance in everyone}
    served = [instance for instance in everyone if instance.role != UNREACHABLE]
    simulator = start_fleet_server([ports[instance.name] for instance in served])
    stack.callback(_terminate, simulator)
    tokens = {instance.name: secrets.token_urlsafe(24) for instance in everyone}
    controls = {}
    for instance in served:
        # The wrong-token instance accepts a token the organization does not have.
        server_token = secrets.token_urlsafe(24) if instance.role == WRONG_TOKEN else tokens[instance.name]
        controls[instance.name] = configure(ports[instance.name], instance, server_token, latency_ms)
    if calibration is not None:
        controls[calibration.name].config(rate_limit=None)  # the workers' capacity: no limiter at all
    return Venue({name: url_of(port) for name, port in ports.items()}, tokens, simulator, controls)


def run_race(upstreams: Upstreams, fleet: list[Instance], latency_ms: float, calibration: Instance | None,
             log_dir: Path, stack: ExitStack) -> RaceFigures:
    venue = set_up_venue(fleet, latency_ms, calibration, stack)
    with upstreams.stage(hemis_rate_limit=0) as stage:
        settings = stage.settings
        organizations = _organizations(upstreams, fleet + ([calibration] if calibration else []), venue)
        factory = make_session_factory(upstreams.engine)
        with _workers(settings, log_dir) as workers:
            svc = create_celery(settings).navai_services
            groups = {worker.pid for worker in workers}
            capacity = None if calibration is None else _calibrate(svc, factory, organizations[calibration.name],
                                                                   calibration, groups, settings.hemis_page_size)
            figures = _race(svc, factory, fleet, organizations, groups, venue, settings.redis_url)
        if capacity is not None:
            figures.calibration_pages_per_s, figures.calibration_cpu_s_per_page = capacity
        figures.timeline.write_csv(log_dir / "timeline.csv")
    seen = {name: control.requests() for name, control in venue.controls.items()}
    figures.finished = [_with_requests(done, seen.get(done.instance.name)) for done in figures.finished]
    _write_requests(log_dir / "requests.json", figures.finished, seen)
    return figures


def _race(svc: Services, factory: sessionmaker[Session], fleet: list[Instance], organizations: dict[str, int],
          groups: set[int], venue: Venue, redis_url: str) -> RaceFigures:
    load_before, ticks = os.getloadavg(), machine_busy_ticks()
    cpu_before, sim_before = groups_cpu_s(groups), groups_cpu_s({venue.simulator.pid})
    redis_before = read_redis(redis_url).commands
    with Timeline(make_redis(redis_url), QUEUE_HEMIS, groups) as timeline:
        run_ids = {instance.name: start_full_run(svc, "students", organization_id=organizations[instance.name],
                                                 triggered_by="bench").run_id for instance in fleet}
        timeout_s = 3 * max(i.ideal_s(svc.settings.hemis_page_size, 0) for i in fleet) + RUN_TIMEOUT_MARGIN_S
        runs = _wait_for_all(factory, run_ids, timeout_s)
    finished = [_finished(instance, runs[run_ids[instance.name]]) for instance in fleet]
    starts = [done.started_at for done in finished]
    return RaceFigures(
        finished=finished, worker_cpu_s=groups_cpu_s(groups) - cpu_before,
        simulator_cpu_s=groups_cpu_s({venue.simulator.pid}) - sim_before,
        redis_commands=read_redis(redis_url).commands - redis_before,
        machine_busy=busy_share(ticks, machine_busy_ticks()), load_before=load_before, load_after=os.getloadavg(),
        start_spread_s=(max(starts) - min(starts)).total_seconds(), timeline=timeline)


def _calibrate(svc: Services, factory: sessionmaker[Session], organization_id: int, calibration: Instance,
               groups: set[int], page_size: int) -> tuple[float, float]:
    """Pages per second the two workers store from one HEMIS with no limiter at all (their
    capacity on this machine now), and their CPU seconds per page; it also warms the workers up."""
    cpu_before = groups_cpu_s(groups)
    run_id = start_full_run(svc, "students", organization_id=organization_id, triggered_by="bench").run_id
    run = _wait_for_all(factory, {CALIBRATION_NAME: run_id}, RUN_TIMEOUT_MARGIN_S)[run_id]
    pages = calibration.pages(page_size)
    seconds = (run.finished_at - run.started_at).total_seconds()
    return pages / seconds, (groups_cpu_s(groups) - cpu_before) / pages


def _organizations(upstreams: Upstreams, instances: list[Instance], venue: Venue) -> dict[str, int]:
    """An organization per instance, pointing to its URL with its token."""
    factory = make_session_factory(upstreams.engine)
    ids = {}
    with session_scope(factory) as session:
        for instance in instances:
            organization = Organization(name=instance.name, hemis_url=venue.urls[instance.name],
                                        hemis_token=venue.tokens[instance.name])
            session.add(organization)
            session.flush()
            ids[instance.name] = organization.id
    return ids


@contextmanager
def _workers(settings: Settings, log_dir: Path) -> Iterator[list[WorkerProcess]]:
    """Two workers on the HEMIS queue at the default concurrency, as Procfile runs them."""
    workers: list[WorkerProcess] = []
    try:
        for n in range(WORKER_PROCESSES):
            workers.append(start_worker(settings, log_dir, f"many-{n}-{secrets.token_hex(3)}", queues=QUEUE_HEMIS,
                                        concurrency=DEFAULT_WORKER_CONCURRENCY))
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def _wait_for_all(factory: sessionmaker[Session], run_ids: dict[str, str], timeout_s: float) -> dict[str, SyncRun]:
    deadline = time.monotonic() + timeout_s
    wanted = set(run_ids.values())
    while True:
        with session_scope(factory) as session:
            runs = list(session.scalars(select(SyncRun).where(SyncRun.id.in_(wanted))))
            if all(run.status not in ("running", "pending") for run in runs) and len(runs) == len(wanted):
                session.expunge_all()
                return {run.id: run for run in runs}
        if time.monotonic() > deadline:
            raise SystemExit(f"the runs did not all finish within {timeout_s:.0f} s")
        time.sleep(FINISH_POLL_S)


def _finished(instance: Instance, run: SyncRun) -> Finished:
    errors = run.errors or []
    return Finished(instance=instance, status=run.status, started_at=run.started_at,
                    finished_at=run.finished_at or run.started_at, processed=run.processed,
                    error=str(errors[0]) if errors else "")


def _with_requests(done: Finished, requests: list[dict[str, Any]] | None) -> Finished:
    """The run with what its simulator saw: student-list requests, 429s, the last one's arrival."""
    if requests is None:
        return done
    seen = [r for r in requests if r["path"] == STUDENT_LIST]
    last = max((r["t"] for r in seen), default=None)
    return replace(done, requests=len(seen), refused=sum(r["status"] == 429 for r in seen),
                   last_request_s=None if last is None else last - done.started_at.timestamp())


def _write_requests(path: Path, finished: list[Finished], seen: dict[str, list[dict[str, Any]]]) -> None:
    """Every instance's requests as its simulator saw them, in seconds after its run's start (for
    the analysis of a missed target: which request came late, which was refused)."""
    out = {}
    for done in finished:
        start = done.started_at.timestamp()
        out[done.instance.name] = [{"t": round(r["t"] - start, 3), "page": r["page"], "status": r["status"]}
                                   for r in seen.get(done.instance.name, []) if r["path"] == STUDENT_LIST]
    path.write_text(json.dumps(out, indent=1))


def calibration_instance(students: int, seed: int) -> Instance:
    return Instance(CALIBRATION_NAME, students, Pace(1, 1), HEALTHY, seed)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=20)
