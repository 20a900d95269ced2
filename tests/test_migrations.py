"""Migrations build the schema from nothing, match the models, and tear it down again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

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


STUDENTS_BEFORE_ENROLMENTS = [  # (hemis_id, meta_id) as one-row-per-person kept them
    ("50001", "90001"), ("50002", None), ("50003", "77"), ("50004", "77"), ("50005", "90005")]


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_students_move_to_enrolments_without_loss_and_back_only_when_nothing_is_lost(database, tmp_path):
    url = _scratch_url() if database == "postgresql" else f"sqlite:///{tmp_path / 'enrolments.sqlite3'}"
    if database == "postgresql":
        recreate_database(url)
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        command.upgrade(config, "0010_call_list")
        with engine.begin() as connection:
            for hemis_id, meta_id in STUDENTS_BEFORE_ENROLMENTS:
                _insert_student(connection, hemis_id, meta_id, full_name=f"STUDENT {hemis_id}")

        command.upgrade(config, "0011_student_enrolments")

        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT hemis_id, meta_id, enrolment_key, full_name FROM students ORDER BY hemis_id")).all()
        assert [tuple(row) for row in rows] == [
            ("50001", "90001", "90001", "STUDENT 50001"),
            ("50002", None, "person:50002", "STUDENT 50002"),  # no meta_id: the person keys it, as the sync does
            ("50003", "77", "person:50003", "STUDENT 50003"),  # a meta_id two rows share cannot be unique
            ("50004", "77", "person:50004", "STUDENT 50004"),
            ("50005", "90005", "90005", "STUDENT 50005")]
        # A person's second enrolment is a row of its own now; an enrolment key stays unique.
        with engine.begin() as connection:
            _insert_student(connection, "50001", "90777", enrolment_key="90777")
        with pytest.raises(IntegrityError), engine.begin() as connection:
            _insert_student(connection, "50009", "90001", enrolment_key="90001")

        with pytest.raises(RuntimeError, match="1 HEMIS students have several enrolments"):
            command.downgrade(config, "0010_call_list")
        with engine.begin() as connection:  # nothing was changed by the refused downgrade
            assert connection.execute(text("SELECT count(*) FROM students")).scalar() == 6
            connection.execute(text("DELETE FROM students WHERE enrolment_key = '90777'"))
        command.downgrade(config, "0010_call_list")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM students")).scalar() == 5
        with pytest.raises(IntegrityError), engine.begin() as connection:  # one row per person again
            _insert_student(connection, "50001", "90888")
    finally:
        engine.dispose()


def _insert_student(connection: Connection, hemis_id: str, meta_id: str | None, **columns: str) -> None:
    values = {"hemis_id": hemis_id, "meta_id": meta_id, "raw": "{}", "is_active": True,
              "synced_at": "2025-01-01 00:00:00+00:00", "created_at": "2025-01-01 00:00:00+00:00", **columns}
    names = ", ".join(values)
    connection.execute(text(f"INSERT INTO students ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)
