"""Crash-recovery benchmark: a HEMIS run hit by one fault at a time, with the deployment's defaults.

    python bench/recovery.py            # 3,000 students (120 pages of 25), 150 ms per request
    python bench/recovery.py --quick    # 1,000 students and test-speed recovery intervals

Every scenario: two workers (-c 2) and one beat, a fresh database and Redis DB; the fault strikes
once a fifth of the pages are done. Columns: time from the fault to the run running again (the dead
worker's pages taken over, or pages being finished again), time from the fault to the run's end,
records lost (expected students missing), records duplicated (counted or stored twice).
Needs PostgreSQL and Redis: BENCH_DATABASE_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/
navai_bench_recovery, dropped and recreated) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/12,
emptied); the Redis scenarios start a private redis-server with AOF on a free port.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from shared.db import make_engine, make_session_factory  # noqa: E402
from bench.university import bench_university  # noqa: E402
from shared.hemis.start import start_full_run  # noqa: E402
from shared.models import Student, SyncRun  # noqa: E402
from shared.redis_client import make_redis  # noqa: E402
from shared.runs.progress import ProgressStore  # noqa: E402
from shared.settings import ENV_TEST, Settings  # noqa: E402
from simulators.hemis.control import SimulatorControl, start_simulator_process  # noqa: E402
from tests.support.recovery import lease_store, seconds_until_taken_over, wait_for_held  # noqa: E402
from tests.support.restarts import PrivateRedis, database_away  # noqa: E402
from tests.support.services import free_port, recreate_database, reset_redis, truncate_all  # noqa: E402
from tests.support.workers import ALL_QUEUES, WorkerProcess, start_beat, start_worker  # noqa: E402
from workers import create_celery  # noqa: E402

STUDENTS, QUICK_STUDENTS = 3_000, 1_000
PAGE_SIZE = 25
LATENCY_MS = 150
FAULT_AT_FRACTION = 0.2
DB_AWAY_S = 5.0
RUN_TIMEOUT_S = 600
QUICK_RECOVERY = {"recovery_sweep_interval_s": 1, "recovery_lease_s": 3, "recovery_worker_alive_s": 3,
                  "recovery_queued_grace_s": 5}
FINISHED = ("completed", "completed_with_errors", "failed")


@dataclass
class Outcome:
    scenario: str
    running_again_s: float | None
    completion_s: float
    status: str
    lost: int
    duplicated: int


@dataclass
class Deployment:
    settings: Settings
    workers: list[WorkerProcess]
    beat: WorkerProcess
    log_dir: Path

    def stop(self) -> None:
        for process in [*self.workers, self.beat]:
            process.stop()


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--quick", action="store_true", help="1,000 students, test-speed recovery intervals")
    options = args.parse_args()
    students = QUICK_STUDENTS if options.quick else STUDENTS
    settings = base_settings(options.quick)
    port = int(settings.hemis_api_url.rsplit(":", 1)[1])
    simulator = start_simulator_process(port, settings.hemis_bearer_token, students=students, employees=0,
                                        stdout=subprocess.DEVNULL)
    control = SimulatorControl(settings.hemis_api_url)
    outcomes = []
    try:
        control.wait_until_up()
        control.config(latency_ms=LATENCY_MS)
        for name, fault in SCENARIOS:
            outcomes.append(run_scenario(name, fault, settings, students))
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    print_table(outcomes, students, settings)
    return 0


def base_settings(quick: bool) -> Settings:
    database_url = os.environ.get("BENCH_DATABASE_URL",
                                  "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_recovery")
    recreate_database(database_url)
    alembic = Config(str(PROJECT_ROOT / "alembic.ini"))
    alembic.set_main_option("sqlalchemy.url", database_url)
    alembic.attributes["configure_logger"] = False
    command.upgrade(alembic, "head")
    settings = Settings(navai_env=ENV_TEST, database_url=database_url,
                        redis_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
                        jwt_secret_key=secrets.token_urlsafe(32), hemis_api_url=f"http://127.0.0.1:{free_port()}",
                        hemis_bearer_token=secrets.token_urlsafe(24), hemis_rate_limit=0, hemis_page_size=PAGE_SIZE)
    return settings.replace(**(QUICK_RECOVERY if quick else {}))


def run_scenario(name: str, fault: Callable[..., float | None], settings: Settings, students: int) -> Outcome:
    with tempfile.TemporaryDirectory() as directory:
        redis_server = PrivateRedis(Path(directory) / "redis") if "Redis" in name else None
        if redis_server is not None:
            redis_server.start()
            settings = settings.replace(redis_url=redis_server.url)
        truncate_all(make_engine(settings.database_url))
        reset_redis(make_redis(settings.redis_url))
        deployment = deploy(settings, Path(directory))
        try:
            run_id = start(settings)
            wait_for_pages(settings, run_id, int(students / PAGE_SIZE * FAULT_AT_FRACTION))
            fault_at = time.monotonic()
            running_again_s = fault(deployment, run_id, redis_server)
            run = wait_for_end(settings, run_id)
            completion_s = time.monotonic() - fault_at
            lost, duplicated = count_damage(settings, run, students)
        finally:
            deployment.stop()
            if redis_server is not None:
                redis_server.stop()
    print(f"  {name}: {run.status}, running again after {running_again_s}, done after {completion_s:.1f}s",
          flush=True)
    return Outcome(name, running_again_s, completion_s, run.status, lost, duplicated)


def deploy(settings: Settings, log_dir: Path) -> Deployment:
    workers = [start_worker(settings, log_dir, f"bench-{n}-{secrets.token_hex(2)}", queues=ALL_QUEUES, concurrency=2)
               for n in range(2)]
    return Deployment(settings, workers, start_beat(settings, log_dir, "bench-beat"), log_dir)


def start(settings: Settings) -> str:
    svc = create_celery(settings).navai_services
    return start_full_run(svc, "students", organization_id=bench_university(svc), triggered_by="bench").run_id


# --- the faults: each returns the seconds until the run runs again ----------------------------------

def kill_worker(deployment: Deployment, run_id: str, _redis: PrivateRedis | None) -> float:
    store, doomed = lease_store(deployment.settings), deployment.workers[0]
    held = wait_for_held(store, doomed.name)
    doomed.kill_hard()
    return seconds_until_taken_over(store, held, doomed.name, time.monotonic())


def stop_worker(deployment: Deployment, run_id: str, _redis: PrivateRedis | None) -> float:
    store, leaving = lease_store(deployment.settings), deployment.workers[0]
    held = wait_for_held(store, leaving.name)
    os.killpg(leaving.process.pid, signal.SIGTERM)
    return seconds_until_taken_over(store, held, leaving.name, time.monotonic())


def kill_beat(deployment: Deployment, run_id: str, _redis: PrivateRedis | None) -> float:
    deployment.beat.kill_hard()
    return seconds_until_progress(deployment.settings, run_id, time.monotonic())


def restart_redis(deployment: Deployment, run_id: str, redis_server: PrivateRedis | None) -> float:
    started = time.monotonic()
    redis_server.restart()  # type: ignore[union-attr]
    return seconds_until_progress(deployment.settings, run_id, started)


def restart_redis_empty(deployment: Deployment, run_id: str, redis_server: PrivateRedis | None) -> None:
    redis_server.restart(empty=True)  # type: ignore[union-attr]
    return None  # the run is ended failed (the expected outcome); nothing runs again


def cut_database(deployment: Deployment, run_id: str, _redis: PrivateRedis | None) -> float:
    started = time.monotonic()
    with database_away(deployment.settings.database_url):
        time.sleep(DB_AWAY_S)
    return seconds_until_progress(deployment.settings, run_id, started)


SCENARIOS: list[tuple[str, Callable[..., float | None]]] = [
    ("worker kill -9 mid-pages", kill_worker),
    ("worker SIGTERM (deploy)", stop_worker),
    ("beat kill -9", kill_beat),
    ("Redis restart (AOF)", restart_redis),
    ("Redis restart, comes back empty", restart_redis_empty),
    (f"PostgreSQL away {DB_AWAY_S:.0f}s (all backends cut)", cut_database),
]


# --- measuring ---------------------------------------------------------------------------------------

def pages_done(settings: Settings, run_id: str) -> int:
    try:
        return int((ProgressStore(make_redis(settings.redis_url)).get(run_id) or {}).get("pagesDone") or 0)
    except Exception:  # Redis restarting
        return -1


def wait_for_pages(settings: Settings, run_id: str, pages: int) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while pages_done(settings, run_id) < pages:
        if time.monotonic() > deadline:
            raise RuntimeError("the run did not get going")
        time.sleep(0.05)


def seconds_until_progress(settings: Settings, run_id: str, since: float) -> float:
    """Seconds from `since` until one more page is finished than when the fault came."""
    seen = pages_done(settings, run_id)
    while pages_done(settings, run_id) <= seen and time.monotonic() - since < RUN_TIMEOUT_S:
        time.sleep(0.05)
    return time.monotonic() - since


def wait_for_end(settings: Settings, run_id: str) -> SyncRun:
    factory = make_session_factory(make_engine(settings.database_url))
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with factory() as session:
                run = session.get(SyncRun, run_id)
                if run is not None and run.status in FINISHED:
                    return run
        except Exception:  # the database away
            pass
        time.sleep(0.2)
    raise RuntimeError(f"run {run_id} did not end within {RUN_TIMEOUT_S}s")


def count_damage(settings: Settings, run: SyncRun, students: int) -> tuple[int, int]:
    """(records lost, records duplicated): students missing from the database, and rows or run
    counts beyond one per student. A run ended `failed` (Redis came back empty) is to be re-run."""
    factory = make_session_factory(make_engine(settings.database_url))
    with factory() as session:
        rows = int(session.scalar(select(func.count()).select_from(Student)) or 0)
        distinct = int(session.scalar(select(func.count(func.distinct(Student.hemis_id)))) or 0)
    if run.status == "failed":
        return 0, rows - distinct
    return students - distinct, (rows - distinct) + max(0, run.processed - students)


def print_table(outcomes: list[Outcome], students: int, settings: Settings) -> None:
    print()
    print(f"HEMIS run of {students} students, pages of {PAGE_SIZE}, {LATENCY_MS} ms per request, 2 workers -c 2, "
          f"one beat; sweep {settings.recovery_sweep_interval_s:g}s, lease {settings.recovery_lease_s:g}s, "
          f"worker alive {settings.recovery_worker_alive_s:g}s")
    header = f"| {'scenario':<40} | {'fault → running again':>21} | {'fault → run ended':>17} | " \
             f"{'status':<9} | {'lost':>4} | {'duplicated':>10} |"
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    for o in outcomes:
        again = "n/a (ended)" if o.running_again_s is None else f"{o.running_again_s:.1f} s"
        print(f"| {o.scenario:<40} | {again:>21} | {o.completion_s:>15.1f} s | {o.status:<9} | {o.lost:>4} | "
              f"{o.duplicated:>10} |")


if __name__ == "__main__":
    raise SystemExit(main())
