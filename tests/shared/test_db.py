"""The engine every process builds (`shared.db`): its pool is sized by the settings, and no code
leaves session state on a connection, so that `DATABASE_URL` may be a PgBouncer in transaction mode
(tests/test_pgbouncer.py runs the system through a real one)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import text

from shared.db import engine_for
from shared.services import Services
from shared.settings import (
    DEFAULT_DATABASE_MAX_OVERFLOW,
    DEFAULT_DATABASE_POOL_SIZE,
    ConfigError,
    Settings,
)

ROOT = Path(__file__).resolve().parents[2]
# The code that runs behind DATABASE_URL (migrations use MIGRATIONS_DATABASE_URL, PostgreSQL itself).
APPLICATION_CODE = ("api", "workers", "shared")

# SQL that leaves state on the server connection past its transaction: behind a transaction pooler
# the next transaction, ours or another client's, may run on another connection, or meet it.
_SQL = re.IGNORECASE | re.MULTILINE
SESSION_STATE = {
    "session SET (use SET LOCAL)": re.compile(r"(?:^|;)\s*SET\s+(?!LOCAL\b|CONSTRAINTS\b|NULL\b|DEFAULT\b)\w", _SQL),
    "set_config(..., false) (use true: transaction-local)": re.compile(r"set_config\s*\([^)]*,\s*false\s*\)", _SQL),
    "session advisory lock (use pg_advisory_xact_lock)": re.compile(r"pg_(?:try_)?advisory_lock(?:_shared)?\s*\(", _SQL),
    "LISTEN": re.compile(r"(?:^|;)\s*(?:UN)?LISTEN\s", _SQL),
    "holdable cursor": re.compile(r"\bWITH\s+HOLD\b", _SQL),
    "named prepared statement": re.compile(r"(?:^|;)\s*PREPARE\s+\w+", _SQL),
    "temporary table outliving its transaction (add ON COMMIT DROP)":
        re.compile(r"CREATE\s+(?:GLOBAL\s+|LOCAL\s+)?TEMP(?:ORARY)?\s+TABLE(?![^;]*ON\s+COMMIT\s+DROP)", _SQL),
}
# The same in Python: a psycopg2 cursor that outlives its transaction.
HOLDABLE_CURSOR = re.compile(r"withhold\s*=\s*True")


def session_state_in(sql: str) -> list[str]:
    """What in `sql` would outlive its transaction (empty: nothing)."""
    return [what for what, pattern in SESSION_STATE.items() if pattern.search(sql)]


def _docstrings(tree: ast.Module) -> set[int]:
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))]
    return {id(node.body[0].value) for node in nodes
            if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def _strings(path: Path) -> Iterator[str]:
    """The string literals of a module (f-strings' literal parts included), docstrings excepted."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.value


def _application_modules() -> list[Path]:
    return [ROOT / "celeryconfig.py", *(path for package in APPLICATION_CODE for path in sorted((ROOT / package).rglob("*.py")))]


def test_no_code_leaves_session_state_on_a_connection():
    found = [f"{path.relative_to(ROOT)}: {what}: {value.strip()[:80]!r}" for path in _application_modules()
             for value in _strings(path) for what in session_state_in(value)]
    found += [f"{path.relative_to(ROOT)}: a holdable cursor (withhold=True)" for path in _application_modules()
              if HOLDABLE_CURSOR.search(path.read_text())]
    assert not found, "state that outlives a transaction breaks PgBouncer's transaction mode:\n" + "\n".join(found)


@pytest.mark.parametrize("sql", [
    "SET statement_timeout = 5000", "set search_path TO app", "SET SESSION lock_timeout = '1s'",
    "SELECT 1; SET work_mem = '64MB'", "SELECT set_config('app.user', '7', false)", "SELECT pg_advisory_lock(1)",
    "SELECT pg_try_advisory_lock_shared(1, 2)", "LISTEN runs", "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
    "PREPARE page_upsert (int) AS SELECT $1", "CREATE TEMP TABLE staged (id int)",
    "CREATE TEMPORARY TABLE staged (id int) ON COMMIT DELETE ROWS",
])
def test_the_check_catches_session_state(sql):
    assert session_state_in(sql), sql


@pytest.mark.parametrize("sql", [
    "SET LOCAL statement_timeout = 5000", "SET LOCAL jit = off", "SET CONSTRAINTS ALL DEFERRED",
    "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a",
    "UPDATE calls SET ai_status = 'done'", "SELECT set_config('app.user', '7', true)",
    "SELECT pg_advisory_xact_lock(1)", "CREATE TEMP TABLE staged (id int) ON COMMIT DROP",
    "ALTER TABLE calls ALTER COLUMN raw SET COMPRESSION lz4", "SET NULL",  # (a foreign key's ondelete)
])
def test_the_check_lets_transaction_scoped_sql_pass(sql):
    assert session_state_in(sql) == [], sql


def test_the_pool_is_sized_by_the_settings(session_settings):
    settings = session_settings.replace(database_pool_size=2, database_max_overflow=3)
    engine = Services(settings, celery=None).engine
    try:
        assert engine.url.render_as_string(hide_password=False) == settings.database_url
        with ExitStack() as stack:
            for _ in range(5):
                stack.enter_context(engine.connect()).execute(text("SELECT 1"))
            assert (engine.pool.checkedout(), engine.pool.overflow()) == (5, 3)  # 2 pooled + 3 overflow
        assert engine.pool.checkedin() == 2  # the overflow is closed when returned; the pool keeps 2
    finally:
        engine.dispose()


def test_engine_for_takes_the_settings_pool_and_defaults_are_named(session_settings):
    engine = engine_for(session_settings)
    try:
        assert engine.pool.size() == DEFAULT_DATABASE_POOL_SIZE == session_settings.database_pool_size
        assert session_settings.database_max_overflow == DEFAULT_DATABASE_MAX_OVERFLOW
    finally:
        engine.dispose()


def test_pool_settings_are_read_and_checked():
    settings = Settings.from_env({"DATABASE_POOL_SIZE": "3", "DATABASE_MAX_OVERFLOW": "0"})
    assert (settings.database_pool_size, settings.database_max_overflow) == (3, 0)
    with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE must be at least 1"):
        Settings.from_env({"DATABASE_POOL_SIZE": "0"})
    with pytest.raises(ConfigError, match="DATABASE_MAX_OVERFLOW must be at least 0"):
        Settings.from_env({"DATABASE_MAX_OVERFLOW": "-1"})


def test_migrations_url_defaults_to_database_url_and_follows_it():
    direct = "postgresql+psycopg2://navai@db:5432/navai"
    bounced = "postgresql+psycopg2://navai@pgbouncer:6432/navai"
    assert Settings.from_env({"DATABASE_URL": direct}).migrations_url == direct
    settings = Settings.from_env({"DATABASE_URL": bounced, "MIGRATIONS_DATABASE_URL": direct})
    assert (settings.database_url, settings.migrations_url) == (bounced, direct)
    assert settings.replace(migrations_database_url="").replace(database_url=direct).migrations_url == direct
    assert settings.to_env()["MIGRATIONS_DATABASE_URL"] == direct  # handed to worker and beat processes
