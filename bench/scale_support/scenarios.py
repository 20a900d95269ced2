"""The project's side of bench/scale.py: one HEMIS students run or one Sipuni step 2, on real worker
processes at the project's default concurrency, with every figure taken around the run."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bench.scale_support.meters import PeakRss, groups_cpu_s, read_redis
from shared.db import make_engine, make_session_factory, session_scope
from bench.university import bench_university
from shared.hemis.start import start_full_run
from shared.models import SyncRun
from shared.settings import DEFAULT_WORKER_CONCURRENCY, Settings
from shared.sipuni.start import start_step2
from tests.support.workers import WorkerProcess, start_worker
from workers import create_celery

WORKER_PROCESSES = 2
RUN_TIMEOUT_S = 3600
FINISH_POLL_S = 0.2
SUCCESS_STATUSES = ("completed",)


@dataclass(frozen=True)
class Measured:
    """One run's figures; `statements` is None when no PgBouncer counted them."""

    units: int
    wall_s: float
    worker_cpu_s: float
    redis_commands: int
    statements: int | None
    peak_rss_kb: int
    redis_peak_bytes: int
    status: str
    summary: str


@dataclass(frozen=True)
class Stage:
    """Where a run happens: its settings and a counter of SQL statements (None: not counted)."""

    settings: Settings
    count_statements: Callable[[], int | None]


def measure_hemis(stage: Stage, students: int, log_dir: Path) -> Measured:
    return _measure(stage, students, log_dir, "hemis",
                    lambda svc: start_full_run(svc, "students", organization_id=bench_university(svc),
                                               triggered_by="bench").run_id)


def measure_sipuni_step2(stage: Stage, calls: int, organization_id: int, log_dir: Path) -> Measured:
    return _measure(stage, calls, log_dir, "sipuni,recordings",
                    lambda svc: start_step2(svc, organization_id, "bench", None)[0])


def _measure(stage: Stage, units: int, log_dir: Path, queues: str, start: Callable[..., str]) -> Measured:
    settings = stage.settings
    workers = [start_worker(settings, log_dir, f"scale-{n}-{secrets.token_hex(3)}", queues=queues,
                            concurrency=DEFAULT_WORKER_CONCURRENCY) for n in range(WORKER_PROCESSES)]
    groups = {worker.pid for worker in workers}
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        cpu_before, redis_before = groups_cpu_s(groups), read_redis(settings.redis_url)
        statements_before = stage.count_statements()
        with PeakRss(groups) as rss:
            began = time.monotonic()
            run_id = start(create_celery(settings).navai_services)
            run = _wait_until_finished(factory, run_id)
            wall_s = time.monotonic() - began
        statements_after = stage.count_statements()
        redis_after = read_redis(settings.redis_url)
        return Measured(
            units=units, wall_s=wall_s, worker_cpu_s=groups_cpu_s(groups) - cpu_before,
            redis_commands=redis_after.commands - redis_before.commands,
            statements=None if statements_before is None else statements_after - statements_before,
            peak_rss_kb=rss.peak_kb, redis_peak_bytes=redis_after.peak_memory_bytes,
            status=run.status, summary=_summary(run.stats or {}))
    finally:
        _stop(workers)


def _summary(stats: dict) -> str:
    """The run's own message (Sipuni), else its numeric counts (HEMIS)."""
    counts = ", ".join(f"{name} {value}" for name, value in stats.items()
                       if isinstance(value, int) and not isinstance(value, bool))
    return str(stats.get("message") or counts)


def _wait_until_finished(factory, run_id: str) -> SyncRun:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        with session_scope(factory) as session:
            run = session.scalar(select(SyncRun).where(SyncRun.id == run_id))
            if run is not None and run.status not in ("running", "pending"):
                session.expunge(run)
                return run
        time.sleep(FINISH_POLL_S)
    raise SystemExit(f"run {run_id} did not finish within {RUN_TIMEOUT_S} s")


def _stop(workers: list[WorkerProcess]) -> None:
    for worker in workers:
        worker.stop()


def log_dir_for(tag: str) -> Path:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"navai-bench-scale-{tag}"
    path.mkdir(parents=True, exist_ok=True)
    return path
