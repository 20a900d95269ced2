"""Step 2 speed and memory against the Sipuni simulator; prints a table.

1. Step 2 over N calls (default 2,000; 150 ms latency per request, recordings of 80 KB-1.3 MB)
   with two Celery worker processes (thread pools), against a sequential loop in the original's
   style (one call after another, each recording read whole into memory) on the same simulator.
   `--sequential-sample K` times the loop on the first K calls and extrapolates (says so).
2. One 200 MB recording streamed by a worker: its peak RSS above idle (VmHWM).

Needs PostgreSQL and Redis: `--database-url` (a scratch database, dropped and re-created) and
`--redis-url` (a DB index of its own; it is flushed). `--quick` = 200 calls, 50 sequential.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.db import make_engine, make_session_factory, session_scope  # noqa: E402
from shared.leases.publish import publish_leased  # noqa: E402
from shared.models import Call, Organization, SyncRun, User  # noqa: E402
from shared.redis_client import make_redis  # noqa: E402
from shared.runs.progress import ProgressStore  # noqa: E402
from shared.runs.record import create_run  # noqa: E402
from shared.settings import ENV_TEST, Settings  # noqa: E402
from shared.sipuni.names import KIND_STEP2, csv_path  # noqa: E402
from simulators.sipuni.calls import EXTENSIONS  # noqa: E402
from workers import create_celery  # noqa: E402
from workers.sipuni.client import SipuniClient  # noqa: E402
from workers.sipuni.csv_parser import call_from_row, iter_file  # noqa: E402
from workers.sipuni.signing import signed  # noqa: E402
from workers.sipuni.staging import RowStaging  # noqa: E402

LATENCY_MS = 150
WORKER_PROCESSES = 2
THREADS_PER_WORKER = 16
BIG_RECORDING_BYTES = 200 * 1024 * 1024
USER, SECRET = "012345", "0.bench" + uuid.uuid4().hex[:6]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def start(command_line: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command_line, cwd=ROOT, env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def start_workers(settings: Settings, count: int, pool: str, concurrency: int, workdir: Path,
                  tag: str, queues: str = "sipuni,recordings") -> list[subprocess.Popen[bytes]]:
    workers = []
    for index in range(count):
        workers.append(start([sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q",
                              queues, "-P", pool, "-c", str(concurrency), "-n",
                              f"bench-{tag}{index}@%h", "--loglevel", "WARNING", "--without-mingle",
                              "--without-gossip"], settings.to_env(), workdir / f"worker-{tag}{index}.log"))
    celery = create_celery(settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = celery.control.ping(timeout=0.5) or []
        if sum(1 for reply in replies for name in reply if name.startswith(f"bench-{tag}")) >= count:
            return workers
    raise RuntimeError("bench workers did not start")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        try:
            os.killpg(process.pid, 15)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, 9)


def make_org(factory, name: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(factory) as session:
        organization = Organization(name=name, sipuni_user=USER, sipuni_secret=SECRET)
        session.add(organization)
        session.flush()
        for ext in EXTENSIONS:
            session.add(User(email=f"{name}-{ext}@bench.local", password_hash="-", role="EMPLOYEE",
                             organization_id=organization.id, ext_code=ext))
        return organization.id


def parallel_step2(settings: Settings, factory, organization_id: int) -> tuple[float, SyncRun]:  # type: ignore[no-untyped-def]
    run_id = str(uuid.uuid4())
    with session_scope(factory) as session:
        create_run(session, run_id, KIND_STEP2, organization_id=organization_id)
    celery = create_celery(settings)
    began = time.monotonic()
    publish_leased(celery.navai_services, "sipuni.process_csv", kwargs={"run_id": run_id, "organization_id": organization_id})
    while True:
        with session_scope(factory) as session:
            run = session.get(SyncRun, run_id)
            if run.status != "running":
                return time.monotonic() - began, run
        time.sleep(0.2)


def sequential_step2(settings: Settings, factory, organization_id: int, rows: list[dict[str, str]]) -> float:  # type: ignore[no-untyped-def]
    """The original's loop: per call, look up, download the whole recording, write, insert."""
    out_dir = Path(settings.data_dir) / "sequential"
    out_dir.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    for row in rows:
        call = call_from_row(row)
        with session_scope(factory) as session:
            employee = session.scalar(select(User).where(User.organization_id == organization_id,
                                                         User.ext_code == call.employee_ext))
            if employee is None or session.scalar(select(Call.id).where(
                    Call.organization_id == organization_id, Call.external_id == call.record_id)):
                continue
            response = requests.post(f"{settings.sipuni_api_url}/statistic/record",
                                     data=signed({"id": call.record_id, "user": USER}, SECRET), timeout=60)
            if response.status_code != 200 or not response.content.startswith(b"\xff"):
                continue
            path = out_dir / f"{call.record_id}.mp3"
            path.write_bytes(response.content)
            session.add(Call(organization_id=organization_id, employee_id=employee.id, external_id=call.record_id,
                             started_at=call.started_at, recording_path=str(path), recording_size=len(response.content),
                             raw=call.raw))
    return time.monotonic() - began


def vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def big_recording_peak(settings: Settings, factory, organization_id: int, rows, workdir: Path,  # type: ignore[no-untyped-def]
                       control: str) -> tuple[float, float]:
    """Peak RSS (MB) of a solo worker above its idle peak while it streams a 200 MB recording."""
    with_audio = {call["record_id"] for call in requests.get(f"{control}/control/calls", timeout=30).json()
                  if call["recording"] == "ok"}
    ok = [row for row in rows if call_from_row(row).employee_ext and row["ID записи"] in with_audio]
    (worker,) = start_workers(settings, 1, "solo", 1, workdir, "mem")
    celery = create_celery(settings)
    progress = ProgressStore(make_redis(settings.redis_url))
    try:
        def run_one(row: dict[str, str]) -> float:
            run_id = str(uuid.uuid4())
            with session_scope(factory) as session:
                create_run(session, run_id, KIND_STEP2, organization_id=organization_id)
            progress.update(run_id, total=1)
            RowStaging(make_redis(settings.redis_url)).stage(run_id, [(row["ID записи"], row)])
            began = time.monotonic()
            celery.send_task("recordings.process_call", args=[run_id, organization_id, row["ID записи"], None],
                             ignore_result=False).get(timeout=600)
            return time.monotonic() - began

        run_one(ok[0])  # warm up: imports, database and HTTP connections
        idle_kb = vm_hwm_kb(worker.pid)
        big = ok[1]
        requests.post(f"{control}/control/faults", json={"recordingSizes": {big["ID записи"]: BIG_RECORDING_BYTES}},
                      timeout=10)
        seconds = run_one(big)
        with session_scope(factory) as session:
            size = session.scalar(select(Call.recording_size).where(
                Call.organization_id == organization_id, Call.external_id == big["ID записи"]))
        assert size == BIG_RECORDING_BYTES, size
        return (vm_hwm_kb(worker.pid) - idle_kb) / 1024, seconds
    finally:
        stop([worker])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--sequential-sample", type=int, default=0, help="0 = all calls")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_sipuni"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"))
    parser.add_argument("--workdir", default="/tmp/navai-bench-sipuni")
    parser.add_argument("--force", action="store_true", help="flush the Redis DB even if it is not empty")
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.sequential_sample = 200, 50
    workdir = Path(args.workdir)
    subprocess.run(["rm", "-rf", str(workdir)], check=True)
    workdir.mkdir(parents=True)
    port = free_port()
    settings = Settings(navai_env=ENV_TEST, database_url=args.database_url, redis_url=args.redis_url,
                        jwt_secret_key=uuid.uuid4().hex * 2, data_dir=str(workdir / "data"),
                        sipuni_api_url=f"http://127.0.0.1:{port}/api", sipuni_user=USER, sipuni_secret=SECRET,
                        sipuni_rate_limit=0).checked()
    bench_redis = make_redis(settings.redis_url)
    if bench_redis.dbsize() and not args.force:
        parser.error(f"{settings.redis_url} is not empty (someone else may use it); pick an empty DB or --force")
    bench_redis.flushdb()
    recreate_database(settings.database_url)
    factory = make_session_factory(make_engine(settings.database_url))
    simulator = start([sys.executable, "-m", "simulators.sipuni", "--port", str(port), "--user", USER, "--secret",
                       SECRET, "--calls", str(args.calls), "--seed", "5", "--latency-ms", str(LATENCY_MS)], {},
                      workdir / "simulator.log")
    time.sleep(1.5)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        parallel_org, sequential_org = make_org(factory, "parallel"), make_org(factory, "sequential")
        client = SipuniClient(settings.sipuni_api_url, USER, SECRET)
        for organization_id in (parallel_org, sequential_org):
            path = csv_path(settings.data_dir, organization_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            client.export_all_to(path, args.calls)
        rows = list(iter_file(csv_path(settings.data_dir, sequential_org)))

        workers = start_workers(settings, WORKER_PROCESSES, "threads", THREADS_PER_WORKER, workdir, "step2-")
        parallel_s, run = parallel_step2(settings, factory, parallel_org)
        stop(workers)
        workers = []
        sample = rows[: args.sequential_sample or len(rows)]
        sequential_sample_s = sequential_step2(settings, factory, sequential_org, sample)
        sequential_s = sequential_sample_s * len(rows) / len(sample)
        peak_mb, big_s = big_recording_peak(settings, factory, make_org(factory, "memory"), rows, workdir,
                                            f"http://127.0.0.1:{port}")
    finally:
        stop(workers)
        stop([simulator])
    extrapolated = " (extrapolated from %d calls)" % len(sample) if len(sample) < len(rows) else ""
    print()
    print(f"Sipuni step 2, {len(rows)} calls, simulator latency {LATENCY_MS} ms, recordings 80 KB-1.3 MB")
    print(f"{'':44} {'seconds':>9} {'calls/s':>9}")
    print(f"{'sequential loop (original style)':44} {sequential_s:9.1f} {len(rows) / sequential_s:9.1f}{extrapolated}")
    print(f"{f'{WORKER_PROCESSES} worker processes x {THREADS_PER_WORKER} threads':44} {parallel_s:9.1f} "
          f"{len(rows) / parallel_s:9.1f}")
    print(f"{'speed-up':44} {sequential_s / parallel_s:9.1f}x   (target >= 10x)")
    print(f"run summary: {run.stats.get('message')}")
    print(f"200 MB recording: {big_s:.1f} s, worker peak RSS above idle {peak_mb:.1f} MB (target < 50 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
