"""Throughput of the AI pipeline on real workers, against the AI simulator with realistic latency.

Shows that the `ai` queue scales with worker concurrency and that AI_RATE_LIMIT caps the provider
request rate however many workers run. Needs PostgreSQL and Redis:
    BENCH_DATABASE_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_ai; recreated)
    BENCH_REDIS_URL (default redis://127.0.0.1:6379/13; emptied)
    BENCH_CALLS (default 24)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command  # noqa: E402
from sqlalchemy import delete, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from shared.db import make_engine  # noqa: E402
from shared.leases.publish import publish_leased  # noqa: E402
from shared.models import Call, CallScore, Criterion, Organization, TranscriptSegment, Violation  # noqa: E402
from shared.redis_client import make_redis  # noqa: E402
from shared.settings import ENV_TEST, Settings  # noqa: E402
from simulators.ai import AiSimulator  # noqa: E402
from tests.conftest import alembic_config  # noqa: E402
from tests.support.calls import write_wav  # noqa: E402
from tests.support.services import recreate_database, reset_redis  # noqa: E402
from tests.support.workers import start_worker  # noqa: E402
from workers import create_celery  # noqa: E402

STT_LATENCY_S = 0.4
LLM_LATENCY_S = 0.6
SCENARIOS = ((1, 0.0), (4, 0.0), (4, 2.0))  # (worker concurrency, AI_RATE_LIMIT)
WAIT_S = 300.0


def main() -> None:
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_ai")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    count = int(os.environ.get("BENCH_CALLS", "24"))
    recreate_database(database_url)
    command.upgrade(alembic_config(database_url), "head")
    engine = make_engine(database_url)
    sim = AiSimulator().start()
    sim.latency_s = {"stt": STT_LATENCY_S, "openai": LLM_LATENCY_S}
    with tempfile.TemporaryDirectory() as data_dir:
        call_ids = _seed(engine, Path(data_dir), count)
        base = Settings(navai_env=ENV_TEST, database_url=database_url, redis_url=redis_url, jwt_secret_key="b" * 32,
                        data_dir=data_dir, stt_api_url=f"{sim.url}/stt", stt_rate_limit=0, ai_provider="openai",
                        openai_base_url=f"{sim.url}/openai/v1", ai_model="bench").checked()
        print(f"{count} calls; simulated STT {STT_LATENCY_S}s, LLM {LLM_LATENCY_S}s per request")
        print(f"{'concurrency':>11} {'AI_RATE_LIMIT':>13} {'seconds':>8} {'calls/s':>8}  (one LLM request per call)")
        for concurrency, rate in SCENARIOS:
            settings = base.replace(ai_rate_limit=rate)
            seconds = _run(engine, settings, call_ids, concurrency, Path(data_dir))
            shown_rate = f"{rate:g}" if rate else "unlimited"
            print(f"{concurrency:>11} {shown_rate:>13} {seconds:>8.2f} {count / seconds:>8.2f}")
    sim.stop()
    engine.dispose()


def _seed(engine, data_dir: Path, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        org = Organization(name="Bench")
        session.add(org)
        session.flush()
        session.add_all(Criterion(organization_id=org.id, name=f"C{i}", weight=1.0) for i in range(4))
        calls = []
        for i in range(count):
            write_wav(data_dir / f"r{i}.wav", seconds=1.0)
            calls.append(Call(organization_id=org.id, external_id=f"b{i}", recording_path=f"r{i}.wav", raw={}))
        session.add_all(calls)
        session.commit()
        return [call.id for call in calls]


def _run(engine, settings: Settings, call_ids: list[int], concurrency: int, log_dir: Path) -> float:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        for model in (TranscriptSegment, CallScore, Violation):
            connection.execute(delete(model))
        connection.execute(update(Call).values(ai_status="pending", ai_error=None))
    reset_redis(make_redis(settings.redis_url))
    worker = start_worker(settings, log_dir, f"bench-{concurrency}", queues="ai", concurrency=concurrency)
    try:
        app = create_celery(settings)
        started = time.monotonic()
        for call_id in call_ids:
            publish_leased(app.navai_services, "ai.process_call", args=[call_id])
        _wait_done(engine, len(call_ids))
        return time.monotonic() - started
    finally:
        worker.stop()


def _wait_done(engine, count: int) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with Session(engine) as session:
            statuses = list(session.scalars(select(Call.ai_status)))
        if sum(status in ("done", "failed") for status in statuses) == count:
            if "failed" in statuses:
                raise SystemExit("some calls failed; see the worker log")
            return
        time.sleep(0.1)
    raise SystemExit("the benchmark did not finish in time")


if __name__ == "__main__":
    main()
