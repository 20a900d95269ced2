"""Cost of the observability routes as the history grows: `GET /metrics` (read at scrape time from
the database and Redis) and `GET /runs` (what the runs page polls every 2 s).

Needs PostgreSQL and Redis:
    BENCH_DATABASE_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_obs; recreated)
    BENCH_REDIS_URL (default redis://127.0.0.1:6379/12; emptied)
The worker ping behind `navai_workers_online` waits its whole timeout (1 s) once per 5 s and is cached
in between; the table shows the cached case, which is what a scrape every 15-30 s mostly hits.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from api import create_app  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.models import Call, Organization, SyncRun, User, utcnow  # noqa: E402
from shared.redis_client import make_redis  # noqa: E402
from shared.settings import ENV_TEST, Settings  # noqa: E402
from tests.conftest import alembic_config  # noqa: E402
from tests.support.services import recreate_database, reset_redis  # noqa: E402

SIZES = ((1_000, 10_000), (10_000, 100_000), (50_000, 300_000))  # (finished runs, calls) in the database
REPEATS = 7
KINDS = ("hemis_students", "hemis_employees", "sipuni_step1", "sipuni_step2")
AI_STATUSES = ("done", "done", "done", "pending", "failed", "not_configured")
BATCH_ROWS = 10_000


def main() -> None:
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_obs")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    recreate_database(database_url)
    command.upgrade(alembic_config(database_url), "head")
    reset_redis(make_redis(redis_url))
    engine = make_engine(database_url)
    organization_id = _organization(engine)
    app = create_app(Settings(navai_env=ENV_TEST, database_url=database_url, redis_url=redis_url,
                              jwt_secret_key="b" * 32).checked())
    client = app.test_client()
    token = _token(app)
    print(f"{'runs':>7} {'calls':>8} {'/metrics ms':>12} {'/runs ms':>9}  (median of {REPEATS}, worker ping cached)")
    runs_so_far = calls_so_far = 0
    for runs, calls in SIZES:
        _add_runs(engine, organization_id, runs - runs_so_far, runs_so_far)
        _add_calls(engine, organization_id, calls - calls_so_far, calls_so_far)
        runs_so_far, calls_so_far = runs, calls
        client.get("/metrics")  # fills the worker-ping cache
        metrics_ms = _median_ms(lambda: client.get("/metrics"))
        runs_ms = _median_ms(lambda: client.get("/runs", headers={"Authorization": f"Bearer {token}"}))
        print(f"{runs:>7} {calls:>8} {metrics_ms:>12.1f} {runs_ms:>9.1f}")
    engine.dispose()


def _median_ms(request) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        assert request().status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _organization(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        org_id = connection.execute(insert(Organization).values(name="Bench").returning(Organization.id)).scalar()
        connection.execute(insert(User).values(email="bench@example.test", password_hash="x", role="SUPERADMIN"))
    return int(org_id)


def _token(app) -> str:  # type: ignore[no-untyped-def]
    from flask_jwt_extended import create_access_token

    with app.app_context():
        return create_access_token(identity="1", additional_claims={"role": "SUPERADMIN", "org_id": None})


def _add_runs(engine, organization_id: int, count: int, offset: int) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    rows = [{"id": f"bench-run-{offset + i:08d}", "kind": KINDS[i % len(KINDS)], "status": "completed",
             "organization_id": organization_id if KINDS[i % len(KINDS)].startswith("sipuni") else None,
             "started_at": now - timedelta(hours=offset + i, seconds=90 + i % 600),
             "finished_at": now - timedelta(hours=offset + i), "total": 100, "processed": 100, "skipped": 0,
             "failed": 0, "errors": [], "stats": {}} for i in range(count)]
    _insert(engine, SyncRun, rows)


def _add_calls(engine, organization_id: int, count: int, offset: int) -> None:  # type: ignore[no-untyped-def]
    rows = [{"organization_id": organization_id, "external_id": f"bench-{offset + i}", "raw": {},
             "ai_status": AI_STATUSES[i % len(AI_STATUSES)]} for i in range(count)]
    _insert(engine, Call, rows)


def _insert(engine, model, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        for start in range(0, len(rows), BATCH_ROWS):
            connection.execute(insert(model), rows[start:start + BATCH_ROWS])


if __name__ == "__main__":
    main()
