"""A 200 MB recording through the storage: a worker's memory, local DATA_DIR against S3; prints a table.

One Celery worker (solo pool: the task runs in the measured process) on the `recordings` and `ai`
queues stores the recording of one call (download from the Sipuni simulator, then
`Storage.put_file`: a rename locally, a multipart upload to S3) and transcribes it (the upload to
the STT simulator streams from the storage). Its peak RSS (VmHWM) above its peak after a warm-up
call with a normal recording is what the 200 MB recording added. The S3 server is moto's
(`python -m moto.server`), in a process of its own.

Needs PostgreSQL and Redis: `--database-url` (a scratch database, dropped and re-created) and
`--redis-url` (a DB index of its own; it is flushed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sipuni_step2 import (  # noqa: E402
    SECRET,
    USER,
    free_port,
    make_org,
    recreate_database,
    start,
    start_workers,
    stop,
    vm_hwm_kb,
)

from shared.db import make_engine, make_session_factory, session_scope  # noqa: E402
from shared.models import Call  # noqa: E402
from shared.redis_client import make_redis  # noqa: E402
from shared.runs.progress import ProgressStore  # noqa: E402
from shared.runs.record import create_run  # noqa: E402
from shared.settings import ENV_TEST, Settings  # noqa: E402
from shared.sipuni.names import KIND_STEP2, csv_key  # noqa: E402
from shared.storage import make_storage  # noqa: E402
from workers import create_celery  # noqa: E402
from workers.sipuni.client import SipuniClient  # noqa: E402
from workers.sipuni.csv_parser import call_from_row  # noqa: E402
from workers.sipuni.staging import RowStaging  # noqa: E402

BIG_RECORDING_BYTES = 200 * 1024 * 1024
TARGET_MB = 50
CALLS = 20
WAIT_S = 900
S3_KEY_ID, S3_REGION = "bench", "us-east-1"


def wait_http(url: str) -> None:
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def run_call(settings: Settings, factory, organization_id: int, row: dict[str, str]) -> tuple[float, Call]:  # type: ignore[no-untyped-def]
    """Step 2 of one call, then its AI processing; wait until the call is analyzed."""
    run_id = str(uuid.uuid4())
    with session_scope(factory) as session:
        create_run(session, run_id, KIND_STEP2, organization_id=organization_id)
    redis = make_redis(settings.redis_url)
    ProgressStore(redis).update(run_id, total=1)
    RowStaging(redis).stage(run_id, [(row["ID записи"], row)])
    began = time.monotonic()
    create_celery(settings).send_task("recordings.process_call", args=[run_id, organization_id, row["ID записи"], None])
    while time.monotonic() - began < WAIT_S:
        with session_scope(factory) as session:
            call = session.scalar(select(Call).where(Call.organization_id == organization_id,
                                                     Call.external_id == row["ID записи"]))
            if call is not None and call.ai_status in ("done", "failed", "no_speech"):
                session.expunge(call)
                return time.monotonic() - began, call
        time.sleep(0.3)
    raise RuntimeError("the call was not processed in time")


def measure(settings: Settings, factory, control: str, workdir: Path, label: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    import requests

    organization_id = make_org(factory, label)
    export = workdir / f"{label}.csv"
    SipuniClient(settings.sipuni_api_url, USER, SECRET).export_all_to(export, CALLS)
    make_storage(settings).put_file(export, csv_key(organization_id), "text/csv")
    with_audio = {c["record_id"] for c in requests.get(f"{control}/control/calls", timeout=30).json()
                  if c["recording"] == "ok"}
    rows = list(_rows(settings, organization_id))  # read back from the storage, as step 2 does
    ok = [row for row in rows if call_from_row(row).employee_ext and row["ID записи"] in with_audio]
    (worker,) = start_workers(settings, 1, "solo", 1, workdir, f"mem-{label}", queues="recordings,ai")
    try:
        run_call(settings, factory, organization_id, ok[0])  # warm-up: imports, connections, clients
        idle_kb = vm_hwm_kb(worker.pid)
        big = ok[1]
        requests.post(f"{control}/control/faults", json={"recordingSizes": {big["ID записи"]: BIG_RECORDING_BYTES}},
                      timeout=10)
        seconds, call = run_call(settings, factory, organization_id, big)
        peak_mb = (vm_hwm_kb(worker.pid) - idle_kb) / 1024
    finally:
        stop([worker])
    stored = make_storage(settings).size(call.recording_path or "")
    assert call.recording_size == stored == BIG_RECORDING_BYTES, (call.recording_size, stored)
    assert call.ai_status == "done", call.ai_error
    return {"label": label, "seconds": seconds, "peak_mb": peak_mb, "where": make_storage(settings).describe(
        call.recording_path or "")}


def _rows(settings: Settings, organization_id: int):  # type: ignore[no-untyped-def]
    from workers.sipuni.csv_parser import iter_stream

    with make_storage(settings).open(csv_key(organization_id)) as stream:
        yield from iter_stream(stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_storage"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--workdir", default="/tmp/navai-bench-storage")
    parser.add_argument("--force", action="store_true", help="flush the Redis DB even if it is not empty")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    subprocess.run(["rm", "-rf", str(workdir)], check=True)
    workdir.mkdir(parents=True)
    sipuni_port, ai_port, s3_port = free_port(), free_port(), free_port()
    base = Settings(navai_env=ENV_TEST, database_url=args.database_url, redis_url=args.redis_url,
                    jwt_secret_key=uuid.uuid4().hex * 2, data_dir=str(workdir / "data"),
                    sipuni_api_url=f"http://127.0.0.1:{sipuni_port}/api", sipuni_user=USER, sipuni_secret=SECRET,
                    sipuni_rate_limit=0, stt_api_url=f"http://127.0.0.1:{ai_port}/stt", stt_rate_limit=0,
                    ai_provider="openai", ai_model="bench", openai_base_url=f"http://127.0.0.1:{ai_port}/openai/v1",
                    ai_rate_limit=0).checked()
    redis = make_redis(base.redis_url)
    if redis.dbsize() and not args.force:
        parser.error(f"{base.redis_url} is not empty (someone else may use it); pick an empty DB or --force")
    redis.flushdb()
    recreate_database(base.database_url)
    factory = make_session_factory(make_engine(base.database_url))
    processes = [
        start([sys.executable, "-m", "simulators.sipuni", "--port", str(sipuni_port), "--user", USER, "--secret",
               SECRET, "--calls", str(CALLS), "--seed", "5"], {}, workdir / "sipuni.log"),
        start([sys.executable, "-m", "simulators.ai", "--port", str(ai_port)], {}, workdir / "ai.log"),
        start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)], {}, workdir / "s3.log"),
    ]
    try:
        for port in (sipuni_port, s3_port):
            wait_http(f"http://127.0.0.1:{port}/")
        s3_secret = uuid.uuid4().hex
        s3 = base.replace(storage_url="s3://navai-bench/recordings", aws_endpoint_url_s3=f"http://127.0.0.1:{s3_port}",
                     aws_access_key_id=S3_KEY_ID, aws_secret_access_key=s3_secret, aws_default_region=S3_REGION)
        boto3.client("s3", endpoint_url=s3.aws_endpoint_url_s3, aws_access_key_id=S3_KEY_ID,
                     aws_secret_access_key=s3_secret, region_name=S3_REGION).create_bucket(Bucket="navai-bench")
        control = f"http://127.0.0.1:{sipuni_port}"
        results = [measure(base, factory, control, workdir, "local"), measure(s3, factory, control, workdir, "s3")]
    finally:
        stop(processes)
    print()
    print("One 200 MB recording: step 2 (download, store) + speech-to-text upload, one worker (solo pool)")
    print(f"{'storage':10} {'seconds':>9} {'peak RSS above idle, MB':>25} {'target':>9}  stored at")
    for result in results:
        print(f"{result['label']:10} {result['seconds']:9.1f} {result['peak_mb']:25.1f} {'< ' + str(TARGET_MB):>9}  "
              f"{result['where']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
