"""The database a read benchmark times against: its own, created and migrated afresh (or the last
run's, `--reuse`), then seeded by the benchmark; and the Redis DB its app uses."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from alembic import command
from sqlalchemy import Engine

from shared.db import make_engine
from tests.conftest import alembic_config
from tests.support.services import recreate_database

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


@dataclass(frozen=True)
class BenchDatabase:
    database_url: str
    redis_url: str
    engine: Engine
    load_s: float  # how long seeding took (0 when reused)


def prepare(default_database: str, *, reuse: bool, seed: Callable[[Engine], float]) -> BenchDatabase:
    """`BENCH_DATABASE_URL` (default: `default_database` on the local PostgreSQL) recreated,
    migrated to head and seeded, unless `reuse`; `BENCH_REDIS_URL` for the app."""
    database_url = os.environ.get("BENCH_DATABASE_URL", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{default_database}")
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    if not reuse:
        recreate_database(database_url)
        command.upgrade(alembic_config(database_url), "head")
    engine = make_engine(database_url)
    return BenchDatabase(database_url, redis_url, engine, 0.0 if reuse else seed(engine))
