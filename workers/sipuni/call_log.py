"""Step 1 keeps every row of the export in the call log (`call_log`), for statistics.

Each chunk of rows is one multi-row `INSERT ... ON CONFLICT (organization_id, record_id) DO UPDATE`,
so a repeated or overlapping export updates the rows it already stored and adds nothing twice.
Step 2 and the `calls` table are not touched: they keep the seed's meaning. Sipuni's callback
columns are read here (`shared.sipuni.callbacks`), so the call list filters on them as columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from functools import lru_cache
from itertools import islice
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.models import CallLogEntry, User, utcnow
from shared.models.analytics import EXT_CODE_LENGTH, NUMBER_LENGTH
from shared.sipuni.callbacks import Callback, parse_callback
from workers.sipuni.csv_parser import HEADER_FIELDS, SipuniCall, call_from_row, normalise_header, usual_offset_s

UPSERT_CHUNK_ROWS = 1000  # rows per INSERT statement: one round trip, well under parameter limits
OFFSET_SAMPLE_ROWS = 1000
RECORD_EXISTS_FIELD = "record_exists"
CALLBACK_STATE_FIELD, CALLBACK_TIME_FIELD = "callback_state", "callback_time"
# Columns a re-export overwrites; `first_seen_at` stays, `employee_id` is kept if nobody has the ext now.
# A re-export carries the callback as Sipuni knows it by then (a call missed at 9:00 and exported
# at 9:05 is called back at 9:30): its columns are overwritten too.
_UPDATED_COLUMNS = ("direction", "status", "started_at", "ext_code", "from_number", "to_number", "answered_by",
                    "call_duration_s", "talk_duration_s", "answer_duration_s", "has_recording", "callback_state",
                    "callback_at", "callback_delay_s", "updated_at")

OpenSession = Callable[[], AbstractContextManager[Session]]


def record_export(open_session: OpenSession, organization_id: int,
                  rows: Callable[[], Iterable[dict[str, str]]]) -> int:
    """Upsert every row of an export into the call log; return how many rows the export has.

    `rows` is called twice (a sample for the account's UTC offset, then the whole export), so a
    file is streamed and never held in memory."""
    offset_s = usual_offset_s(islice(rows(), OFFSET_SAMPLE_ROWS))
    with open_session() as session:
        employees = employee_ids_by_ext(session, organization_id)
    total = 0
    iterator = iter(rows())
    while chunk := list(islice(iterator, UPSERT_CHUNK_ROWS)):
        total += len(chunk)
        values = _unique_by_record(entry_values(call_from_row(row, offset_s), organization_id, employees)
                                   for row in chunk)
        if values:
            with open_session() as session:
                upsert_entries(session, values)
    return total


def employee_ids_by_ext(session: Session, organization_id: int) -> dict[str, int]:
    rows = session.execute(select(User.ext_code, User.id).where(User.organization_id == organization_id,
                                                                 User.ext_code.is_not(None)))
    return {ext: user_id for ext, user_id in rows}


def entry_values(call: SipuniCall, organization_id: int, employees: dict[str, int]) -> dict[str, Any] | None:
    """The call-log row of one export row, or None when the row has no "ID записи" to key it by."""
    if not call.record_id or len(call.record_id) > 64:
        return None
    ext = call.employee_ext
    callback = callback_of(call)
    return {
        "organization_id": organization_id, "record_id": call.record_id, "direction": call.direction,
        "status": call.status, "started_at": call.started_at,
        "ext_code": ext[:EXT_CODE_LENGTH] if ext else None, "employee_id": employees.get(ext) if ext else None,
        "from_number": _short(call.from_number), "to_number": _short(call.to_number),
        "answered_by": _short(call.answered_by), "call_duration_s": call.call_duration_s,
        "talk_duration_s": call.talk_duration_s, "answer_duration_s": call.answer_duration_s,
        "has_recording": _record_exists(call.raw), "callback_state": callback.state, "callback_at": callback.at,
        "callback_delay_s": callback.delay_s, "first_seen_at": utcnow(), "updated_at": utcnow(),
    }


def callback_of(call: SipuniCall) -> Callback:
    """The row's callback, read from "Состояние перезвона" and "Время перезвона"."""
    return parse_callback(_raw_value(call.raw, CALLBACK_STATE_FIELD), _raw_value(call.raw, CALLBACK_TIME_FIELD),
                          direction=call.direction, status=call.status, started_at=call.started_at,
                          utc_offset_s=call.utc_offset_s)


def upsert_entries(session: Session, values: list[dict[str, Any]]) -> None:
    """One statement for the whole chunk (the rows' record ids must be distinct)."""
    insert = _insert_for(session.get_bind().dialect.name)
    statement = insert(CallLogEntry.__table__).values(values)
    excluded = statement.excluded
    table = CallLogEntry.__table__
    updates: dict[str, Any] = {name: excluded[name] for name in _UPDATED_COLUMNS}
    updates["employee_id"] = func.coalesce(excluded.employee_id, table.c.employee_id)
    session.execute(statement.on_conflict_do_update(index_elements=["organization_id", "record_id"], set_=updates))


def _unique_by_record(values: Iterator[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """One row per record id (the last wins): ON CONFLICT cannot touch a row twice in one statement."""
    by_record: dict[str, dict[str, Any]] = {}
    for row in values:
        if row is not None:
            by_record[row["record_id"]] = row
    return list(by_record.values())


def _short(value: str) -> str | None:
    return value[:NUMBER_LENGTH] or None


def _record_exists(raw: dict[str, str]) -> bool:
    return (_raw_value(raw, RECORD_EXISTS_FIELD) or "").strip() == "1"


def _raw_value(raw: dict[str, str], field: str) -> str | None:
    """The value of the column that is `field` (a canonical name of HEADER_FIELDS); None without one."""
    for name, value in raw.items():
        if _field_of(name) == field:
            return value
    return None


@lru_cache(maxsize=256)
def _field_of(header_name: str) -> str | None:
    """A header's canonical field, once per spelling (an export repeats the same few names)."""
    return HEADER_FIELDS.get(normalise_header(header_name))


@lru_cache(maxsize=None)
def _insert_for(dialect: str) -> Any:
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    return insert
