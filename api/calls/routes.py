"""Calls of the caller's organization with their AI results, and reprocessing.

`GET /calls`: every exported call, recorded or not (the call log joined with the stored calls,
`api.calls.list_query`), filtered (`api.calls.filters`), a page at a time by number or after a
cursor (`api.calls.cursor`); `GET /calls.csv` and `/calls.xlsx`: the same filter as a download
(`api.calls.export`). `GET /calls/<id>` (a stored call: transcript, scores, violations, summary),
`POST /calls/<id>/reprocess` and `POST /calls/reprocess?status=...` (admins). An EMPLOYEE sees
only their own calls; a call of another organization answers 404, as if it did not exist. The
list's queries are bounded like the statistics' (STATS_STATEMENT_TIMEOUT_MS, 503 past it).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.auth.access import ADMIN, SIGNED_IN
from api.auth.roles import OrganizationQuery, OrganizationScope, current_organization_id, current_role, current_user_id
from api.calls import export, list_query
from api.calls.filters import CallsFilter, CallsQuery
from api.calls.schemas import CallDetail, CallsPage, ReprocessBatch, Reprocessing
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.http.validation import VALIDATION_FAILED
from api.openapi.common import ok
from api.stats.bounds import stats_session
from api.stats.export import CSV_MIMETYPE, XLSX_MIMETYPE
from api.teams.scope import caller_team, sees_employee
from shared.ai.queue import RUNNING_STATUSES, clear_queued, mark_queued, publish_analysis
from shared.db import session_scope
from shared.models import (
    MAX_SCORE_BY_MODE,
    AiStatus,
    Call,
    CallLogEntry,
    CallScore,
    Criterion,
    Organization,
    Role,
    TranscriptSegment,
    Violation,
)

# The rules are spelled whole (no url_prefix) because the downloads are `/calls.csv`, not `/calls/.csv`.
bp = Blueprint("calls", __name__)

DEFAULT_BATCH = 500
MAX_BATCH = 5000
TRUNCATED_HEADER = "X-Export-Truncated"


class ReprocessQuery(OrganizationScope):
    model_config = ConfigDict(extra="forbid")

    status: AiStatus
    limit: int = Field(DEFAULT_BATCH, ge=1, le=MAX_BATCH)


def _download(description: str, media_type: str) -> dict[int | str, ResponseDoc]:
    return {200: ResponseDoc(f"{description} (at most {export.CALLS_EXPORT_MAX_ROWS:,} calls, the newest; "
                             f"{TRUNCATED_HEADER}: true when the filter has more)", media_type=media_type,
                             schema={"type": "string", "format": "binary"})}


@bp.get("/calls")
@endpoint(auth=SIGNED_IN, query=CallsQuery, responses={200: ok(CallsPage)})
def list_calls(query: CallsQuery) -> ResponseReturnValue:
    """Every exported call of the organization (an EMPLOYEE: their own), recorded or not, newest
    first: a page by number (`page`) or after `cursor` (the previous page's `nextCursor`)."""
    with stats_session() as session:
        scope, _ = _scope(session, query)
        offset = 0 if query.cursor else (query.page - 1) * query.limit
        listed = list_query.page(session, scope, query, limit=query.limit, offset=offset, cursor=query.cursor)
        total = list_query.count(session, scope, query)
    return jsonify({"success": True, "calls": listed.rows, "page": query.page, "limit": query.limit, "total": total,
                    "nextCursor": listed.next_cursor})


@bp.get("/calls.csv")
@endpoint(auth=SIGNED_IN, query=CallsFilter, responses=_download("The call list as CSV", "text/csv"))
def calls_csv(query: CallsFilter) -> ResponseReturnValue:
    """The filtered call list as CSV (UTF-8 with a BOM, for Excel; times in the organization's zone)."""
    rows, (time_zone, _), truncated = _export_rows(query)
    return _attachment(export.calls_csv(rows, time_zone), CSV_MIMETYPE, "csv", truncated)


@bp.get("/calls.xlsx")
@endpoint(auth=SIGNED_IN, query=CallsFilter, responses=_download("The call list as XLSX", XLSX_MIMETYPE))
def calls_xlsx(query: CallsFilter) -> ResponseReturnValue:
    """The filtered call list as an Excel workbook (times in the organization's zone)."""
    rows, (time_zone, scale), truncated = _export_rows(query)
    title = f"Calls ({time_zone})" + (f", the newest {len(rows):,} of more" if truncated else "")
    return _attachment(export.calls_xlsx(rows, time_zone, title, scale), XLSX_MIMETYPE, "xlsx", truncated)


@bp.get("/calls/<int:call_id>")
@endpoint(auth=SIGNED_IN, query=OrganizationQuery, responses={200: ok(CallDetail)})
def get_call(call_id: int, query: OrganizationQuery) -> ResponseReturnValue:
    """A stored call with its transcript, scores, violations and summary."""
    with session_scope(services().session_factory) as session:
        call = _visible_call(session, call_id)
        body = {**call_as_dict(call, _log_entry(session, call)), "transcript": call.transcript,
                "segments": _segments(session, call_id), "scores": _scores(session, call_id),
                "violations": _violations(session, call_id)}
        list_query.with_names(session, call.organization_id, [body])
    return jsonify({"success": True, "call": body})


@bp.post("/calls/<int:call_id>/reprocess")
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


@bp.post("/calls/reprocess")
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


def _scope(session: Session, query: CallsFilter) -> tuple[list_query.ListScope, str]:
    """What the caller may list (an EMPLOYEE: their own calls), and the organization's time zone."""
    errors = query.range_errors()
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    organization = session.get(Organization, current_organization_id())
    if organization is None:
        raise ApiError(404, "Organization not found")
    employee_id = query.employeeId
    if current_role() == Role.EMPLOYEE.value:
        if employee_id is not None and employee_id != current_user_id():
            raise ApiError(403, "An employee can only see their own calls")
        employee_id = current_user_id()
    scale = MAX_SCORE_BY_MODE.get(organization.scoring_mode, MAX_SCORE_BY_MODE["TEN"])
    team = caller_team(session, organization.id, query.departmentId, query.branchId)  # api.teams.scope
    return list_query.ListScope(organization.id, scale, employee_id, team), organization.time_zone


def _export_rows(query: CallsFilter) -> tuple[list[dict[str, Any]], tuple[str, int], bool]:
    """The download's rows (the newest CALLS_EXPORT_MAX_ROWS), the organization's time zone and
    scale, and whether more calls matched."""
    with stats_session() as session:
        scope, time_zone = _scope(session, query)
        listed = list_query.page(session, scope, query, limit=export.CALLS_EXPORT_MAX_ROWS)
    return listed.rows, (time_zone, scope.scale), listed.next_cursor is not None


def _attachment(body: bytes, mimetype: str, extension: str, truncated: bool) -> Response:
    name = f"calls-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.{extension}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers[TRUNCATED_HEADER] = "true" if truncated else "false"
    return response


def _visible_call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    visible = call is not None and call.organization_id == current_organization_id()
    if visible and current_role() == Role.EMPLOYEE.value:
        visible = call.employee_id == current_user_id()  # type: ignore[union-attr]
    if visible:  # a MANAGER limited to a department: its people's calls only (api.teams.scope)
        visible = sees_employee(session, call.organization_id, call.employee_id)  # type: ignore[union-attr]
    if not visible:
        raise ApiError(404, f"Call {call_id} not found")
    return call  # type: ignore[return-value]


def _log_entry(session: Session, call: Call) -> CallLogEntry | None:
    return session.scalar(select(CallLogEntry).where(CallLogEntry.organization_id == call.organization_id,
                                                     CallLogEntry.record_id == call.external_id))


def call_as_dict(call: Call, entry: CallLogEntry | None = None) -> dict[str, Any]:
    """A stored call in the list's words; the call-log fields from its call-log row, if any."""
    return {
        "id": call.id, "callLogId": entry.id if entry else None, "externalId": call.external_id,
        "employeeId": call.employee_id, "employeeName": None, "extCode": entry.ext_code if entry else None,
        "direction": call.direction, "status": call.status,
        "startedAt": call.started_at.isoformat() if call.started_at else None,
        "fromNumber": call.from_number, "toNumber": call.to_number,
        "callDurationS": call.call_duration_s, "talkDurationS": call.talk_duration_s,
        "callback": entry.callback_state if entry else None,
        "callbackAt": entry.callback_at.isoformat() if entry and entry.callback_at else None,
        "callbackDelayS": entry.callback_delay_s if entry else None,
        "hasRecording": bool(call.recording_path),
        "aiStatus": call.ai_status, "aiError": call.ai_error,
        "overallScore": call.overall_score, "scoreMax": call.score_max, "summary": call.summary,
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
