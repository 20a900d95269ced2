"""Migrations build the schema from nothing, match the models, and tear it down again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from shared.models import Base
from tests.conftest import alembic_config
from tests.support.services import database_url_for_tests, recreate_database


def _scratch_url() -> str:
    return database_url_for_tests() + "_migrations"


def test_upgrade_from_empty_matches_models_and_downgrade_returns_to_empty():
    url = _scratch_url()
    recreate_database(url)
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        command.upgrade(config, "head")
        tables = set(inspect(engine).get_table_names())
        assert {"organizations", "users", "sync_runs", "calls"} <= tables
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert _raw_compression(engine) == {"calls": "l", "employees": "l", "students": "l"}  # lz4

        command.downgrade(config, "0006_analytics")
        assert _raw_compression(engine) == {"calls": "p", "employees": "p", "students": "p"}  # pglz again

        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_also_run_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    assert {"organizations", "users", "sync_runs", "calls"} <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def _raw_compression(engine: Engine) -> dict[str, str]:
    """The compression method of each `raw` column: 'l' lz4, 'p' pglz."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT attrelid::regclass::text, attcompression FROM pg_attribute "
            "WHERE attname = 'raw' AND attrelid::regclass::text IN ('students', 'employees', 'calls')"))
        return {table: method for table, method in rows}
