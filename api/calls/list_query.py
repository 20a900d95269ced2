"""The call list in SQL: every exported call of an organization (the call log) with its stored call,
if any, filtered, counted and read a page at a time.

One row per call-log row, the stored call (`calls`, same organization and "ID записи") joined to
it: a call without a stored recording is a row with `id`, `hasRecording` and the AI fields empty.
Every stored call has its call-log row (step 1 writes it before step 2 can store the call;
migration 0010 gave one to calls stored before the call log existed).

Whose call it is: the employee the call log names (the holder of its extension when it was
exported), unless the stored call was credited to someone else (the extension changed hands
between the two): such a call is in neither employee's list, so no one sees another's transcript
summary. The order and the keyset are those of `api.calls.cursor`. A team (`api.teams.scope`) keeps
the calls the call log credits to its members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Float, Select, and_, cast, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from api.calls.cursor import Cursor, decode, encode
from api.calls.filters import CallsFilter
from api.teams.scope import Team
from shared.models import Call, CallLogEntry, User
from shared.models.base import UTCDateTime

LOG, CALL = CallLogEntry, Call
_STORED = and_(CALL.organization_id == LOG.organization_id, CALL.external_id == LOG.record_id)
# The page's columns: the call log's, and what only a stored call has.
_COLUMNS = (LOG.id.label("log_id"), LOG.record_id, LOG.direction, LOG.status, LOG.started_at, LOG.ext_code,
            LOG.employee_id.label("log_employee_id"), LOG.from_number, LOG.to_number, LOG.call_duration_s,
            LOG.talk_duration_s, LOG.callback_state, LOG.callback_at, LOG.callback_delay_s,
            CALL.id.label("call_id"), CALL.employee_id.label("call_employee_id"), CALL.recording_path,
            CALL.ai_status, CALL.ai_error, CALL.overall_score, CALL.score_max, CALL.summary)
_ORDER = (LOG.started_at.desc().nulls_first(), LOG.id.desc())


@dataclass(frozen=True)
class ListScope:
    """What the caller may see and how scores are read: the organization, its scale, and the
    employee an EMPLOYEE is limited to (or the employeeId asked for)."""

    organization_id: int
    scale: int
    employee_id: int | None
    team: Team | None = None  # only the calls of these departments' members


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def conditions(scope: ListScope, query: CallsFilter) -> tuple[list[ColumnElement[bool]], bool]:
    """The WHERE of the filter, and whether it reads the stored calls (the count joins them only then)."""
    stored = _stored_conditions(scope, query)
    return _log_conditions(scope, query) + stored, bool(stored)


def _log_conditions(scope: ListScope, query: CallsFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [LOG.organization_id == scope.organization_id]
    if query.from_ is not None:
        where.append(LOG.started_at >= moment(query.from_, end_of_day=False))
    if query.to is not None:
        where.append(LOG.started_at < moment(query.to, end_of_day=True))
    if query.call_status is not None:
        where.append(LOG.status == query.call_status)
    if query.direction is not None:
        where.append(LOG.direction == query.direction)
    if query.callback is not None:
        where.append(LOG.callback_state == query.callback.value)
    if query.extCode is not None:
        where.append(LOG.ext_code == query.extCode)
    if query.search is not None:
        suffix = f"%{query.search}"  # digits only (checked): nothing to escape
        where.append(or_(LOG.from_number.like(suffix), LOG.to_number.like(suffix)))
    if scope.employee_id is not None:
        where.append(LOG.employee_id == scope.employee_id)
    if scope.team is not None:
        where.append(scope.team.has_member(LOG.employee_id))
    return where


def _stored_conditions(scope: ListScope, query: CallsFilter) -> list[ColumnElement[bool]]:
    stored: list[ColumnElement[bool]] = []
    if scope.employee_id is not None:  # not a call the stored call credits to someone else
        stored.append(or_(CALL.employee_id.is_(None), CALL.employee_id == scope.employee_id))
    if query.hasRecording is not None:
        has = CALL.recording_path.is_not(None)
        stored.append(has if query.hasRecording else CALL.recording_path.is_(None))
    for ai_status in sorted(query.ai_statuses):  # two different ones match nothing, as asked
        stored.append(CALL.ai_status == ai_status)
    score = cast(CALL.overall_score, Float) * scope.scale / func.coalesce(CALL.score_max, scope.scale)
    if query.minScore is not None:
        stored.append(score >= query.minScore)
    if query.maxScore is not None:
        stored.append(score <= query.maxScore)
    return stored


def count(session: Session, scope: ListScope, query: CallsFilter) -> int:
    where, joins_calls = conditions(scope, query)
    statement = select(func.count()).select_from(LOG)
    if joins_calls:
        statement = statement.outerjoin(CALL, _STORED)
    return int(session.scalar(statement.where(*where)) or 0)


def page(session: Session, scope: ListScope, query: CallsFilter, *, limit: int, offset: int = 0,
         cursor: str | None = None) -> Page:
    """`limit` rows in the list's order, after `cursor` or `offset` rows, and the next page's cursor."""
    statement = rows_statement(scope, query)
    if cursor is not None:
        statement = statement.where(after(decode(cursor)))
    found = list(session.execute(statement.offset(offset or None).limit(limit + 1)))
    rows = [row_dict(row) for row in found[:limit]]
    next_cursor = None
    if len(found) > limit:
        last = found[limit - 1]
        next_cursor = encode(Cursor(last.started_at, last.log_id))
    with_names(session, scope.organization_id, rows)
    return Page(rows, next_cursor)


def rows_statement(scope: ListScope, query: CallsFilter) -> Select[Any]:
    where, _ = conditions(scope, query)
    return select(*_COLUMNS).select_from(LOG).outerjoin(CALL, _STORED).where(*where).order_by(*_ORDER)


def after(cursor: Cursor) -> ColumnElement[bool]:
    """The rows that follow `cursor` in the list's order (start descending, unknown starts first)."""
    last_id = literal(cursor.log_id, BigInteger())
    if cursor.started_at is None:
        return or_(and_(LOG.started_at.is_(None), LOG.id < last_id), LOG.started_at.is_not(None))
    return tuple_(LOG.started_at, LOG.id) < tuple_(literal(cursor.started_at, UTCDateTime()), last_id)


def moment(value: datetime | date, *, end_of_day: bool) -> datetime:
    """A date means the whole day (UTC): `to=2024-05-01` includes all of May 1st."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    start = datetime.combine(value, time.min, tzinfo=timezone.utc)
    return start + timedelta(days=1) if end_of_day else start


def row_dict(row: Any) -> dict[str, Any]:
    """One call of the list, in the API's words (the fields of `GET /calls/<id>` and more)."""
    return {
        "id": row.call_id, "callLogId": row.log_id, "externalId": row.record_id,
        "employeeId": row.call_employee_id if row.call_employee_id is not None else row.log_employee_id,
        "employeeName": None, "extCode": row.ext_code, "direction": row.direction, "status": row.status,
        "startedAt": _iso(row.started_at), "fromNumber": row.from_number, "toNumber": row.to_number,
        "callDurationS": row.call_duration_s, "talkDurationS": row.talk_duration_s,
        "callback": row.callback_state, "callbackAt": _iso(row.callback_at), "callbackDelayS": row.callback_delay_s,
        "hasRecording": bool(row.recording_path), "aiStatus": row.ai_status, "aiError": row.ai_error,
        "overallScore": row.overall_score, "scoreMax": row.score_max, "summary": row.summary,
    }


def with_names(session: Session, organization_id: int, rows: list[dict[str, Any]]) -> None:
    """Fill each row's `employeeName` (one query for the page)."""
    ids = {row["employeeId"] for row in rows if row["employeeId"] is not None}
    if not ids:
        return
    users = session.execute(select(User.id, User.full_name, User.first_name, User.last_name, User.email)
                            .where(User.id.in_(ids), User.organization_id == organization_id))
    names = {user.id: user.full_name or " ".join(p for p in (user.first_name, user.last_name) if p) or user.email
             for user in users}
    for row in rows:
        row["employeeName"] = names.get(row["employeeId"])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
