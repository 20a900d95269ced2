"""Engine and session factory, built from settings (never at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_S = 30
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


def make_engine(database_url: str) -> Engine:
    """An engine for PostgreSQL in production, or SQLite for the local demo."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_recycle=POOL_RECYCLE_S)


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
