"""Real PostgreSQL and Redis for the tests: a database per test session, clean state per test."""

from __future__ import annotations

import os
import socket

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_test"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/14"


def database_url_for_tests() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


def redis_url_for_tests() -> str:
    return os.environ.get("TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url` (connecting to the server's `postgres` db)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": parsed.database})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def truncate_all(engine: Engine) -> None:
    """Empty every table and restart ids: each test starts from a fresh, migrated schema."""
    with engine.begin() as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def reset_redis(client: redis.Redis) -> None:
    """Empty the test Redis DB but for kombu's queue bindings, which a running worker relies on
    to route messages (FLUSHDB under a live worker would make publishing fail)."""
    keys = [key for key in client.scan_iter(count=1000) if not str(key).startswith("_kombu.binding.")]
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])


def redis_url_with_db(url: str, db: int) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{db}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
