"""Step 1 keeps every export row in the call log, once, however often it runs, with Sipuni's
callback columns read."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from shared.db import make_session_factory, session_scope
from shared.models import CallLogEntry, User
from tests.support.sipuni import wait_for_run
from workers.sipuni.call_log import record_export
from workers.sipuni.csv_parser import parse_bytes

SIM_OFFSET = timedelta(hours=5)  # the simulator's accounts are UTC+5


def _step1(client, headers, query="limit=80"):
    response = client.post(f"/sipuni/step1-fetch-csv?{query}", headers=headers)
    assert response.status_code == 202, response.get_json()
    run = wait_for_run(client, headers, response.get_json()["runId"])
    assert run["status"] == "completed", run
    return run


def test_every_export_row_is_in_the_call_log_once(client, auth_headers, sipuni, sipuni_org, worker, db):
    admin, organization = sipuni_org
    headers = auth_headers(user=admin)
    sipuni.reset(calls=80, seed=3)
    sipuni.format(header="old", bom=True, names=True)
    _step1(client, headers)
    _step1(client, headers)  # the same export again: nothing is added twice

    truth = {call["record_id"]: call for call in sipuni.calls()}
    entries = db.scalars(select(CallLogEntry).where(CallLogEntry.organization_id == organization.id)).all()
    assert sorted(entry.record_id for entry in entries) == sorted(truth)
    by_ext = {user.ext_code: user.id for user in db.scalars(select(User).where(User.ext_code.is_not(None)))}
    for entry in entries:
        sim = truth[entry.record_id]
        assert entry.direction == sim["direction"]
        assert entry.status == ("answered" if sim["answered"] else "missed")
        assert entry.started_at == datetime.fromtimestamp(sim["epoch"], timezone.utc)
        assert entry.ext_code == sim["employee_ext"]
        assert entry.employee_id == by_ext.get(sim["employee_ext"])
        assert (entry.call_duration_s, entry.talk_duration_s) == (sim["call_s"], sim["talk_s"])
        assert entry.has_recording is True  # the export says "1" on every row, as the real ones do
    missed = sum(not call["answered"] for call in truth.values())
    assert missed and db.scalar(select(func.count()).select_from(CallLogEntry)
                                .where(CallLogEntry.status == "missed")) == missed


def test_a_newer_export_adds_only_the_new_calls(client, auth_headers, sipuni, sipuni_org, worker, db):
    admin, _organization = sipuni_org
    headers = auth_headers(user=admin)
    sipuni.reset(calls=50, seed=3)
    _step1(client, headers, "limit=30")  # the newest 30
    assert db.scalar(select(func.count()).select_from(CallLogEntry)) == 30
    _step1(client, headers, "limit=50")  # all 50: 30 known, 20 new
    assert db.scalar(select(func.count()).select_from(CallLogEntry)) == 50


def _expected_callback(sim: dict) -> tuple:
    """(state, moment in UTC, delay) as the simulator's truth says them."""
    started = datetime.fromtimestamp(sim["epoch"], timezone.utc)
    if sim["callback"] in (None, "none"):
        return sim["callback"], None, None
    if sim["callback_local"]:
        local = datetime.strptime(sim["callback_local"], "%Y-%m-%d %H:%M:%S")
        return sim["callback"], (local - SIM_OFFSET).replace(tzinfo=timezone.utc), sim["callback_delay_s"]
    return sim["callback"], started + timedelta(seconds=sim["callback_delay_s"]), sim["callback_delay_s"]


def test_the_callback_columns_are_read_for_every_row(client, auth_headers, sipuni, sipuni_org, worker, db):
    admin, organization = sipuni_org
    sipuni.reset(calls=300, seed=11)
    _step1(client, auth_headers(user=admin), "limit=300")

    truth = {call["record_id"]: call for call in sipuni.calls()}
    entries = db.scalars(select(CallLogEntry).where(CallLogEntry.organization_id == organization.id)).all()
    assert len(entries) == 300
    for entry in entries:
        assert (entry.callback_state, entry.callback_at, entry.callback_delay_s) == \
            _expected_callback(truth[entry.record_id]), truth[entry.record_id]
    states = Counter(entry.callback_state for entry in entries)
    assert set(states) == {None, "none", "called_back", "tried", "client_called_back"}, states
    # Only missed incoming calls have a callback state.
    assert all((entry.callback_state is not None) == (entry.direction == "incoming" and entry.status == "missed")
               for entry in entries)


def test_an_export_without_the_callback_columns_leaves_missed_clients_waiting(client, auth_headers, sipuni,
                                                                             sipuni_org, worker, db):
    admin, _organization = sipuni_org
    sipuni.reset(calls=80, seed=3)
    sipuni.format(header="2015")  # Sipuni's 2015 export had no callback columns
    _step1(client, auth_headers(user=admin))
    for entry in db.scalars(select(CallLogEntry)).all():
        waiting = entry.direction == "incoming" and entry.status == "missed"
        assert (entry.callback_state, entry.callback_at, entry.callback_delay_s) == \
            ("none" if waiting else None, None, None)


def test_a_later_export_brings_the_callback_that_came_after_the_first(settings, engine, sipuni_org, db):
    _admin, organization = sipuni_org
    header = ("Тип;Статус;Время;Откуда;Куда;Кто ответил;ID записи;Запись существует;"
              "Состояние перезвона;Время перезвона\n")
    missed = "Входящий;Не отвечен;06.10.2025 09:00:00;998901112233;998901471049;;1759723200.1;1;{state};{time}\n"
    factory = make_session_factory(engine)

    @contextmanager
    def open_session():
        with session_scope(factory) as session:
            yield session

    def export(state: str, time: str) -> None:
        rows = parse_bytes((header + missed.format(state=state, time=time)).encode())
        assert record_export(open_session, organization.id, lambda: iter(rows)) == 1

    export("Оператор не перезвонил", "")
    entry = db.scalar(select(CallLogEntry).where(CallLogEntry.record_id == "1759723200.1"))
    assert (entry.callback_state, entry.callback_at, entry.callback_delay_s) == ("none", None, None)

    export("Оператор перезвонил через 30 мин 5 сек", "2025-10-06 09:30:05")
    db.expire_all()
    entry = db.scalar(select(CallLogEntry).where(CallLogEntry.record_id == "1759723200.1"))
    assert (entry.callback_state, entry.callback_at, entry.callback_delay_s) == \
        ("called_back", datetime(2025, 10, 6, 4, 30, 5, tzinfo=timezone.utc), 1805)
    assert db.scalar(select(func.count()).select_from(CallLogEntry)) == 1
