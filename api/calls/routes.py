"""Calls of the caller's organization with their AI results, and reprocessing.

`GET /calls` (filters: from, to, employeeId, status = AI status; page, limit), `GET /calls/<id>`
(transcript, scores, violations, summary), `POST /calls/<id>/reprocess` and
`POST /calls/reprocess?status=...` (admins). An EMPLOYEE sees only their own calls; a call of
another organization answers 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from api.auth.access import ADMIN, SIGNED_IN
from api.auth.roles import OrganizationQuery, OrganizationScope, current_organization_id, current_role, current_user_id
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.input_guards import MAX_DB_INT
from api.http.services import services
from api.openapi.common import Succeeded, TaskAccepted, ok
from shared.ai.queue import RUNNING_STATUSES, clear_queued, mark_queued, publish_analysis
from shared.db import session_scope
from shared.models import AiStatus, Call, CallScore, Criterion, Role, TranscriptSegment, Violation

bp = Blueprint("calls", __name__, url_prefix="/calls")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
DEFAULT_BATCH = 500
MAX_BATCH = 5000
MAX_PAGE = 1_000_000  # offset = (page - 1) * limit must stay far inside PostgreSQL's bigint
# Filters outside these years are refused (400): beyond them datetime arithmetic overflows.
MIN_FILTER_YEAR = 1900
MAX_FILTER_YEAR = 9000


class CallsQuery(OrganizationScope):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    page: int = Field(1, ge=1, le=MAX_PAGE)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    from_: datetime | date | None = Field(None, alias="from")
    to: datetime | date | None = None
    employeeId: int | None = Field(None, ge=1, le=MAX_DB_INT)  # noqa: N815
    status: AiStatus | None = None

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _date_or_moment(cls, value: object) -> object:
        """`2024-05-01` is a day; anything longer is an ISO moment (naive = UTC)."""
        if isinstance(value, str) and len(value.strip()) == len("YYYY-MM-DD"):
            return date.fromisoformat(value.strip())
        return datetime.fromisoformat(value.strip()) if isinstance(value, str) else value

    @field_validator("from_", "to")
    @classmethod
    def _plausible_year(cls, value: datetime | date | None) -> datetime | date | None:
        if value is not None and not MIN_FILTER_YEAR <= value.year <= MAX_FILTER_YEAR:
            raise ValueError(f"the year must lie within {MIN_FILTER_YEAR}..{MAX_FILTER_YEAR}")
        return value


class ReprocessQuery(OrganizationScope):
    model_config = ConfigDict(extra="forbid")

    status: AiStatus
    limit: int = Field(DEFAULT_BATCH, ge=1, le=MAX_BATCH)


class CallView(BaseModel):
    id: int
    externalId: str  # noqa: N815 - the API's JSON is camelCase
    employeeId: int | None  # noqa: N815
    direction: str | None
    status: str | None
    startedAt: str | None  # noqa: N815 - ISO 8601
    fromNumber: str | None  # noqa: N815
    toNumber: str | None  # noqa: N815
    callDurationS: int | None  # noqa: N815
    talkDurationS: int | None  # noqa: N815
    hasRecording: bool  # noqa: N815
    aiStatus: str  # noqa: N815
    aiError: str | None  # noqa: N815
    overallScore: float | None  # noqa: N815
    summary: str | None


class CallWithResults(CallView):
    transcript: str | None
    segments: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    violations: list[dict[str, Any]]


class CallsPage(Succeeded):
    calls: list[CallView]
    page: int
    limit: int
    total: int


class CallDetail(Succeeded):
    call: CallWithResults


class Reprocessing(TaskAccepted):
    callId: int  # noqa: N815


class ReprocessBatch(Succeeded):
    status: str
    count: int
    callIds: list[int]  # noqa: N815
    taskIds: list[str]  # noqa: N815
    skipped: int


@bp.get("")
@endpoint(auth=SIGNED_IN, query=CallsQuery, responses={200: ok(CallsPage)})
def list_calls(query: CallsQuery) -> ResponseReturnValue:
    """The organization's calls (an EMPLOYEE: their own), newest first, a page at a time."""
    statement = _filtered(query)
    with session_scope(services().session_factory) as session:
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        page = session.scalars(statement.order_by(Call.started_at.desc().nulls_last(), Call.id.desc())
                               .offset((query.page - 1) * query.limit).limit(query.limit))
        calls = [call_as_dict(call) for call in page]
    return jsonify({"success": True, "calls": calls, "page": query.page, "limit": query.limit, "total": total})


@bp.get("/<int:call_id>")
@endpoint(auth=SIGNED_IN, query=OrganizationQuery, responses={200: ok(CallDetail)})
def get_call(call_id: int, query: OrganizationQuery) -> ResponseReturnValue:
    """A call with its transcript, scores, violations and summary."""
    with session_scope(services().session_factory) as session:
        call = _visible_call(session, call_id)
        body = {**call_as_dict(call), "transcript": call.transcript, "segments": _segments(session, call_id),
                "scores": _scores(session, call_id), "violations": _violations(session, call_id)}
    return jsonify({"success": True, "call": body})


@bp.post("/<int:call_id>/reprocess")
@endpoint(auth=ADMIN, query=OrganizationQuery, responses={202: ok(Reprocessing, "Queued")})
def reprocess_one(call_id: int, query: OrganizationQuery) -> ResponseReturnValue:
    """Analyse a call again."""
    svc = services()
    with session_scope(svc.session_factory) as session:
        call = _visible_call(session, call_id)
        if call.ai_status in RUNNING_STATUSES or not mark_queued(svc.redis, [call_id]):
            raise ApiError(409, f"Call {call_id} is already queued or being processed",
                           extra={"aiStatus": call.ai_status})
        call.ai_status, call.ai_error = AiStatus.PENDING.value, None
    task_id = _enqueue(call_id, current_organization_id())
    return jsonify({"success": True, "callId": call_id, "taskId": task_id}), 202


@bp.post("/reprocess")
@endpoint(auth=ADMIN, query=ReprocessQuery,
          responses={202: ok(ReprocessBatch, "Queued; calls already queued or running are skipped")})
def reprocess_batch(query: ReprocessQuery) -> ResponseReturnValue:
    """Analyse again up to `limit` calls of an AI status."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        call_ids, skipped = _claim_for_reprocess(session, organization_id, query.status.value, query.limit)
    task_ids = [_enqueue(call_id, organization_id) for call_id in call_ids]
    return jsonify({"success": True, "status": query.status.value, "count": len(call_ids), "callIds": call_ids,
                    "taskIds": task_ids, "skipped": skipped}), 202


def _enqueue(call_id: int, organization_id: int) -> str:
    return publish_analysis(services(), call_id, organization_id)


def _claim_for_reprocess(session: Session, organization_id: int, status: str, limit: int) -> tuple[list[int], int]:
    """Put up to `limit` calls of `status` back to pending and return their ids, and how many were
    skipped because they are already queued or running: no call is ever queued twice, even when
    two admins click at once (the queued mark is taken with SET NX, the update re-checks status)."""
    candidates = list(session.scalars(select(Call.id).where(
        Call.organization_id == organization_id, Call.ai_status == status).order_by(Call.id).limit(limit)))
    if status in RUNNING_STATUSES:
        return [], len(candidates)
    marked = mark_queued(services().redis, candidates)
    claimed: list[int] = []
    if marked:
        statement = (update(Call).where(Call.id.in_(marked), Call.ai_status == status)
                     .values(ai_status=AiStatus.PENDING.value, ai_error=None).returning(Call.id)
                     .execution_options(synchronize_session=False))
        claimed = sorted(session.scalars(statement))
    clear_queued(services().redis, set(marked) - set(claimed))  # changed status meanwhile: not ours
    return claimed, len(candidates) - len(claimed)


def _filtered(query: CallsQuery) -> Select[tuple[Call]]:
    statement = select(Call).where(Call.organization_id == current_organization_id())
    employee_id = query.employeeId
    if current_role() == Role.EMPLOYEE.value:
        if employee_id is not None and employee_id != current_user_id():
            raise ApiError(403, "An employee can only see their own calls")
        employee_id = current_user_id()
    if employee_id is not None:
        statement = statement.where(Call.employee_id == employee_id)
    if query.status is not None:
        statement = statement.where(Call.ai_status == query.status.value)
    if query.from_ is not None:
        statement = statement.where(Call.started_at >= _moment(query.from_, end_of_day=False))
    if query.to is not None:
        statement = statement.where(Call.started_at < _moment(query.to, end_of_day=True))
    return statement


def _moment(value: datetime | date, *, end_of_day: bool) -> datetime:
    """A date means the whole day (UTC): `to=2024-05-01` includes all of May 1st."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    moment = datetime.combine(value, time.min, tzinfo=timezone.utc)
    return moment + timedelta(days=1) if end_of_day else moment


def _visible_call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    visible = call is not None and call.organization_id == current_organization_id()
    if visible and current_role() == Role.EMPLOYEE.value:
        visible = call.employee_id == current_user_id()  # type: ignore[union-attr]
    if not visible:
        raise ApiError(404, f"Call {call_id} not found")
    return call  # type: ignore[return-value]


def call_as_dict(call: Call) -> dict[str, Any]:
    return {
        "id": call.id, "externalId": call.external_id, "employeeId": call.employee_id,
        "direction": call.direction, "status": call.status,
        "startedAt": call.started_at.isoformat() if call.started_at else None,
        "fromNumber": call.from_number, "toNumber": call.to_number,
        "callDurationS": call.call_duration_s, "talkDurationS": call.talk_duration_s,
        "hasRecording": bool(call.recording_path),
        "aiStatus": call.ai_status, "aiError": call.ai_error,
        "overallScore": call.overall_score, "summary": call.summary,
    }


def _segments(session: Session, call_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(TranscriptSegment).where(TranscriptSegment.call_id == call_id)
                           .order_by(TranscriptSegment.position))
    return [{"speaker": s.speaker, "text": s.text, "startMs": s.start_ms, "endMs": s.end_ms} for s in rows]


def _scores(session: Session, call_id: int) -> list[dict[str, Any]]:
    rows = session.execute(select(CallScore, Criterion.name).join(Criterion, Criterion.id == CallScore.criterion_id)
                           .where(CallScore.call_id == call_id).order_by(CallScore.criterion_id))
    return [{"criterionId": score.criterion_id, "criterionName": name, "score": score.score,
             "maxScore": score.max_score, "weight": score.weight} for score, name in rows]


def _violations(session: Session, call_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(Violation).where(Violation.call_id == call_id).order_by(Violation.position))
    return [{"description": v.description, "timestamp": v.timestamp, "timestampMs": v.timestamp_ms} for v in rows]
