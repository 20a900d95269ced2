"""Migration 0010 (the call list): callback columns read from the stored calls' export rows, a
call-log row for each stored call that had none, the list's index built online, and back again."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text

from tests.conftest import alembic_config
from tests.support.services import database_url_for_tests, recreate_database

INDEX = "ix_call_log_organization_id_started_at_id"
NOW = "2025-10-06 09:00:00+00:00"
# 06.10.2025 13:36:43 in Tashkent (UTC+5): the reference's row, called back 72 s later.
START = datetime(2025, 10, 6, 8, 36, 43, tzinfo=timezone.utc)
REFERENCE_ROW = {"Тип": "Входящий", "Статус": "Не отвечен", "Время": "06.10.2025 13:36:43",
                 "Состояние перезвона": "Клиент дозвонился сам через 1 мин 12 сек",
                 "Время перезвона": "2025-10-06 13:37:55"}


@pytest.fixture(params=["postgresql", "sqlite"])
def upgraded_from_0009(request, tmp_path):  # type: ignore[no-untyped-def]
    """A database at 0009 with stored calls and call-log rows, then upgraded to 0010."""
    if request.param == "postgresql":
        url = database_url_for_tests() + "_call_list"
        recreate_database(url)
    else:
        url = f"sqlite:///{tmp_path / 'call-list.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "0009_analysis_language")
    engine = create_engine(url)
    with engine.begin() as connection:
        _seed(connection)
    command.upgrade(config, "0010_call_list")
    yield engine, config
    engine.dispose()


def _seed(connection) -> None:  # type: ignore[no-untyped-def]
    connection.execute(text(f"INSERT INTO organizations (id, name, created_at) VALUES (1, 'Org', '{NOW}')"))
    connection.execute(text("INSERT INTO users (id, email, password_hash, role, organization_id, ext_code, is_active, "
                            f"created_at) VALUES (7, 'e@x.test', 'x', 'EMPLOYEE', 1, '212', true, '{NOW}')"))
    calls = [  # (external id, raw row, with a call-log row)
        ("logged.reference", REFERENCE_ROW, True),
        ("orphan.during", {**REFERENCE_ROW, "Состояние перезвона": "Клиент дозвонился сам во время звонка",
                           "Время перезвона": ""}, False),
        ("logged.noraw", {}, True),  # a row without the columns: unknown, left for the next export
    ]
    for number, (external_id, raw, logged) in enumerate(calls, start=1):
        connection.execute(text(
            "INSERT INTO calls (id, organization_id, employee_id, external_id, direction, status, started_at, raw, "
            "recording_path, ai_status, created_at, updated_at) VALUES (:id, 1, 7, :external_id, 'incoming', "
            "'missed', :started, :raw, 'r.mp3', 'done', :now, :now)"),
            {"id": number, "external_id": external_id, "started": START, "raw": json.dumps(raw), "now": NOW})
        if logged:
            _log(connection, external_id)
    _log(connection, "unstored.missed")  # the call log alone: nothing to read it from


def _log(connection, record_id: str) -> None:  # type: ignore[no-untyped-def]
    connection.execute(text(
        "INSERT INTO call_log (organization_id, record_id, direction, status, started_at, ext_code, employee_id, "
        "has_recording, first_seen_at, updated_at) VALUES (1, :record_id, 'incoming', 'missed', :started, '212', 7, "
        "true, :now, :now)"), {"record_id": record_id, "started": START, "now": NOW})


def _callbacks(engine: Engine) -> dict[str, tuple]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT record_id, callback_state, callback_at, callback_delay_s, ext_code, "
                                       "employee_id FROM call_log"))
        return {row[0]: (row[1], _utc(row[2]), row[3], row[4], row[5]) for row in rows}


def _utc(value):  # type: ignore[no-untyped-def]
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def test_callbacks_are_read_from_stored_rows_and_every_stored_call_is_logged(upgraded_from_0009):
    engine, _config = upgraded_from_0009
    assert _callbacks(engine) == {
        "logged.reference": ("client_called_back", datetime(2025, 10, 6, 8, 37, 55, tzinfo=timezone.utc), 72, "212", 7),
        "orphan.during": ("client_called_back", START, 0, "212", 7),  # logged now, its extension its employee's
        "logged.noraw": (None, None, None, "212", 7),
        "unstored.missed": (None, None, None, "212", 7),
    }
    assert INDEX in {index["name"] for index in inspect(engine).get_indexes("call_log")}
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                          "WHERE c.relname = :name"), {"name": INDEX}) is True


def test_downgrade_drops_the_columns_and_the_index_and_upgrade_again_works(upgraded_from_0009):
    engine, config = upgraded_from_0009
    command.downgrade(config, "0009_analysis_language")
    assert not {"callback_state", "callback_at", "callback_delay_s"} & {
        column["name"] for column in inspect(engine).get_columns("call_log")}
    assert INDEX not in {index["name"] for index in inspect(engine).get_indexes("call_log")}
    command.upgrade(config, "0010_call_list")
    assert _callbacks(engine)["logged.reference"][0] == "client_called_back"
