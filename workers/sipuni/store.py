"""Database side of step 2: find the employee, check for and insert the call.

The insert relies on the unique constraint (organization_id, external_id): `INSERT ... ON
CONFLICT DO NOTHING RETURNING id` returns no id when another worker stored the call first. On
PostgreSQL the second inserter waits on the first one's uncommitted row, so until the winner
commits (or dies and rolls back) nobody else can claim the call.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.models import Call, User
from workers.sipuni.client import Recording
from workers.sipuni.csv_parser import SipuniCall


def find_employee_id(session: Session, organization_id: int, ext_code: str | None) -> int | None:
    if not ext_code:
        return None
    return session.scalar(select(User.id).where(User.organization_id == organization_id,
                                                User.ext_code == ext_code).limit(1))


def call_values(call: SipuniCall, organization_id: int, employee_id: int, recording: Recording,
                storage_key: str, run_id: str) -> dict[str, Any]:
    return {
        "organization_id": organization_id, "employee_id": employee_id, "external_id": call.record_id,
        "direction": call.direction, "status": call.status, "started_at": call.started_at,
        "from_number": call.from_number[:64] or None, "to_number": call.to_number[:64] or None,
        "answered_by": call.answered_by[:64] or None, "call_duration_s": call.call_duration_s,
        "talk_duration_s": call.talk_duration_s, "answer_duration_s": call.answer_duration_s,
        "recording_path": storage_key, "recording_size": recording.size, "recording_sha256": recording.sha256,
        "raw": call.raw, "sync_run_id": run_id,
    }


def insert_call(session: Session, values: dict[str, Any]) -> int | None:
    """Insert unless the call is already stored; return the new id, or None if it was there."""
    statement = _insert_statement(session.get_bind().dialect.name)
    return session.execute(statement, values).scalar_one_or_none()


@lru_cache(maxsize=None)
def _insert_statement(dialect: str) -> Any:
    """Built once per dialect, values passed as parameters: rebuilding the statement with inline
    values for every call cost more than running it."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    table = Call.__table__
    return (insert(table).on_conflict_do_nothing(index_elements=["organization_id", "external_id"])
            .returning(table.c.id))
