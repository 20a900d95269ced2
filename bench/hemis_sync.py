"""HEMIS sync benchmark: the Celery system vs a sequential loop in the original's style, and the rate limit.

    python bench/hemis_sync.py            # 23,238 students, 100 ms per request, page size 50
    python bench/hemis_sync.py --quick    # 3,000 students (a smoke run)

Needs PostgreSQL and Redis: BENCH_DATABASE_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/
navai_bench_hemis, dropped and recreated) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/11, emptied).
Prints a table; targets: system >= 10x the loop; at HEMIS_RATE_LIMIT=5 at most 5 requests in any
second at the simulator and a duration <= 1.15 x pages / 5.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

import requests  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402

from shared.db import make_engine, make_session_factory, session_scope  # noqa: E402
from shared.hemis_runs import start_full_run  # noqa: E402
from shared.models import SyncRun, utcnow  # noqa: E402
from shared.progress import ProgressStore  # noqa: E402
from shared.redis_client import make_redis  # noqa: E402
from shared.settings import DEFAULT_WORKER_CONCURRENCY, ENV_TEST, Settings  # noqa: E402
from simulators.hemis.control import SimulatorControl, max_requests_in_any_window, start_simulator_process  # noqa: E402
from tests.support.services import free_port, recreate_database, reset_redis  # noqa: E402
from tests.support.workers import start_worker  # noqa: E402
from workers.hemis.mapping import student_row  # noqa: E402
from workers.hemis.upsert import upsert_rows  # noqa: E402

ORIGINAL_STUDENTS = 23_238
QUICK_STUDENTS = 3_000
LATENCY_MS = 100
PAGE_SIZE = 50
RATE = 5
RATE_PAGES = 60
SPEEDUP_TARGET = 10.0
RATE_DURATION_FACTOR = 1.15
RUN_TIMEOUT_S = 1800


def main() -> int:
    args = parse_args()
    students = QUICK_STUDENTS if args.quick else args.students
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_hemis")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    recreate_database(database_url)
    alembic = Config(str(PROJECT_ROOT / "alembic.ini"))
    alembic.set_main_option("sqlalchemy.url", database_url)
    alembic.attributes["configure_logger"] = False
    command.upgrade(alembic, "head")
    reset_redis(make_redis(redis_url))
    port, token = free_port(), secrets.token_urlsafe(24)
    settings = Settings(navai_env=ENV_TEST, database_url=database_url, redis_url=redis_url,
                        jwt_secret_key=secrets.token_urlsafe(32), hemis_api_url=f"http://127.0.0.1:{port}",
                        hemis_bearer_token=token, hemis_rate_limit=0, hemis_page_size=PAGE_SIZE).checked()
    simulator = start_simulator_process(port, token, students=students, employees=0, stdout=subprocess.DEVNULL)
    control = SimulatorControl(settings.hemis_api_url)
    try:
        control.wait_until_up()
        control.config(latency_ms=LATENCY_MS)
        system_s = timed_system_run(settings, args)
        loop_s = timed_sequential_loop(settings, students)
        rate = rate_limited_run(settings, control, args)
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    print_table(students, system_s, loop_s, rate, args)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STUDENTS} students instead of {ORIGINAL_STUDENTS}")
    parser.add_argument("--students", type=int, default=ORIGINAL_STUDENTS)
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_WORKER_CONCURRENCY,
                        help=f"pool size per worker (default: celeryconfig's WORKER_CONCURRENCY, {DEFAULT_WORKER_CONCURRENCY})")
    parser.add_argument("--pool", default="prefork", help="prefork (default, as deployed) or threads")
    return parser.parse_args()


def timed_system_run(settings: Settings, args: argparse.Namespace, label: str = "bench") -> float:
    """Trigger a run as the API does, with real worker processes; seconds until the run is finished."""
    from workers import create_celery

    log_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    workers = [start_worker(settings, log_dir, f"{label}-{n}-{secrets.token_hex(3)}", queues="default,hemis",
                            concurrency=args.concurrency, pool=args.pool) for n in range(args.workers)]
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    client = make_redis(settings.redis_url)
    try:
        started_at = time.monotonic()
        started = start_full_run(kind="students", session_factory=factory, client=client,
                                 progress=ProgressStore(client), celery=create_celery(settings), triggered_by="bench")
        wait_until_finished(factory, started.run_id)
        return time.monotonic() - started_at
    finally:
        for worker in workers:
            worker.stop()
        engine.dispose()


def wait_until_finished(factory, run_id: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        with factory() as session:
            run = session.get(SyncRun, run_id)
            if run.status not in ("running", "pending"):
                if run.status != "completed":
                    raise SystemExit(f"run {run_id} ended {run.status}: {run.errors[:3]}")
                return
        time.sleep(0.2)
    raise SystemExit(f"run {run_id} did not finish")


def timed_sequential_loop(settings: Settings, students: int) -> float:
    """The original's way: one page after another, one upsert and one commit per row."""
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE students")
    http = requests.Session()
    url = f"{settings.hemis_api_url}/rest/v1/data/student-list"
    headers = {"Authorization": f"Bearer {settings.hemis_bearer_token}"}
    started_at = time.monotonic()
    page, page_count = 1, 1
    while page <= page_count:
        body = http.get(url, params={"page": page, "limit": PAGE_SIZE, "_student_status": -1}, headers=headers,
                        timeout=60).json()
        page_count = body["data"]["pagination"]["pageCount"]
        for item in body["data"]["items"]:
            with session_scope(factory) as session:
                upsert_rows(session, "students", [student_row(item)], run_id="loop", now=utcnow())
        page += 1
    elapsed = time.monotonic() - started_at
    engine.dispose()
    return elapsed


def rate_limited_run(settings: Settings, control: SimulatorControl, args: argparse.Namespace) -> dict[str, float]:
    limited = replace(settings, hemis_rate_limit=float(RATE))
    control.reset(students=RATE_PAGES * PAGE_SIZE)
    control.config(latency_ms=LATENCY_MS)
    control.clear_stats()
    seconds = timed_system_run(limited, argparse.Namespace(workers=2, concurrency=args.concurrency, pool=args.pool),
                               label="bench-rate")
    times = [r["t"] for r in control.requests()]
    return {"seconds": seconds, "max_per_s": max_requests_in_any_window(times, 1.0), "requests": len(times),
            "bound_s": RATE_DURATION_FACTOR * RATE_PAGES / RATE}


def print_table(students: int, system_s: float, loop_s: float, rate: dict[str, float],
                args: argparse.Namespace) -> None:
    pages = -(-students // PAGE_SIZE)
    speedup = loop_s / system_s
    rows = [
        ("students / pages", f"{students} / {pages}", ""),
        ("simulator latency per request", f"{LATENCY_MS} ms", ""),
        (f"system ({args.workers} worker x {args.pool} -c {args.concurrency})", f"{system_s:.1f} s", ""),
        ("sequential loop (row-by-row commit)", f"{loop_s:.1f} s", ""),
        ("speed-up", f"{speedup:.1f}x", _speedup_verdict(speedup, args)),
        (f"rate {RATE}/s: max requests in any 1 s", f"{rate['max_per_s']:.0f} of {rate['requests']:.0f}",
         "ok" if rate["max_per_s"] <= RATE else "EXCEEDED"),
        (f"rate {RATE}/s: duration ({RATE_PAGES} pages, 2 workers)",
         f"{rate['seconds']:.1f} s (bound {rate['bound_s']:.1f} s)", "ok" if rate["seconds"] <= rate["bound_s"] else "slow"),
    ]
    width = max(len(name) for name, _, _ in rows)
    print()
    print(f"{'HEMIS sync benchmark'.ljust(width)}  {'value':<28} verdict")
    for name, value, verdict in rows:
        print(f"{name.ljust(width)}  {value:<28} {verdict}")


def _speedup_verdict(speedup: float, args: argparse.Namespace) -> str:
    if args.quick:  # a few pages: worker start-up and the first page dominate, not the sync
        return f"smoke run; the {SPEEDUP_TARGET:.0f}x target is for the full run"
    return "ok" if speedup >= SPEEDUP_TARGET else f"below {SPEEDUP_TARGET:.0f}x"


if __name__ == "__main__":
    sys.exit(main())
