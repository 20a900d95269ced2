"""Engine and session factory, built from settings (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shared.settings import (
    DEFAULT_DATABASE_MAX_OVERFLOW,
    DEFAULT_DATABASE_POOL_SIZE,
    Settings,
)

SQLITE_BUSY_TIMEOUT_S = 30
# A pooled connection is closed and opened anew after this long: shorter than the idle timeouts
# of firewalls and of PgBouncer (`client_idle_timeout`, if a deployment sets one longer than this),
# so that the pool replaces a connection before they cut it; the pre-ping catches the rest.
POOL_RECYCLE_S = 1800
# What PostgreSQL restarting looks like to a client: a connection dropped mid-transaction
# ("terminating connection due to administrator command", "server closed the connection"), or
# refused while the server is down. Tasks retry on these (pool_pre_ping replaces dead pooled
# connections at checkout); the API answers 503.
DB_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
# Celery's exponential backoff with full jitter (workers.base.NavaiTask): retry n waits a random
# 0..min(10, 2**n) s, so twelve retries ride out about a minute of downtime on average.
DB_RETRY_ATTEMPTS = 12
DB_RETRY_BASE_DELAY_S = 1
DB_RETRY_MAX_DELAY_S = 10


def engine_for(settings: Settings) -> Engine:
    """The process's engine: `DATABASE_URL`, its pool sized by `DATABASE_POOL_SIZE` and
    `DATABASE_MAX_OVERFLOW` (README "Running at scale" has the connection arithmetic)."""
    return make_engine(settings.database_url, pool_size=settings.database_pool_size,
                       max_overflow=settings.database_max_overflow)


def make_engine(database_url: str, *, pool_size: int = DEFAULT_DATABASE_POOL_SIZE,
                max_overflow: int = DEFAULT_DATABASE_MAX_OVERFLOW) -> Engine:
    """An engine for PostgreSQL in production (directly or through PgBouncer), or SQLite for the
    local demo. The process keeps up to `pool_size` connections open and opens at most
    `max_overflow` more at a busy moment (closed again when returned).

    Safe behind PgBouncer in `pool_mode = transaction`: nothing here leaves state on a server
    connection past a transaction (no session `SET`, advisory lock, `LISTEN`, prepared statement or
    holdable cursor: psycopg2 prepares nothing). The pre-ping is an autocommit `SELECT 1` (SQLAlchemy
    switches the connection to autocommit for it), a transaction of its own, so PgBouncer lends a
    server connection only for that statement; it finds a connection PgBouncer or PostgreSQL closed
    before the session uses it.
    """
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(database_url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                         pool_recycle=POOL_RECYCLE_S)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the API read while a worker writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
