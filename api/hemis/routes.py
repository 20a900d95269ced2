"""HEMIS sync endpoints, for the organization the request acts for (its own HEMIS: `api.hemis.tenant`;
a SUPERADMIN names it with `?organizationId=N`).

POST /api/hemis/sync/<kind>               start a full run of one kind (students, employees, departments,
                                          specialties, groups, semesters; 202; 409 naming the running run)
POST /api/hemis/sync/all                  the nightly chain now: the lookup lists, students, employees
POST /api/hemis/sync/student|employee     sync one record, looked up with `search=`
GET  /api/hemis/progress/<kind>           the original's progress shape, plus run fields
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, jsonify, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from sqlalchemy import select

from api.auth.access import ADMIN
from api.auth.roles import OrganizationScope, current_organization_id, current_user_id
from api.hemis.single_limit import single_sync_slot
from api.hemis.tenant import organization_instance
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import ACCEPTED_RUN, Open, ok
from shared import catalog
from shared.db import session_scope
from shared.hemis.names import HEMIS_KINDS, SINGLE_KINDS, progress_scope, run_kind, single_run_kind
from shared.hemis.start import RunAlreadyRunning, start_full_run, start_nightly
from shared.leases.publish import publish_leased
from shared.models import SyncRun
from shared.runs.owners import remember_owner
from shared.runs.record import create_run, new_run_id, run_as_dict

bp = Blueprint("hemis", __name__, url_prefix="/api/hemis")

PROGRESS_FIELDS = ("status", "startTime", "totalRecords", "processedRecords", "errors", "currentPage", "message",
                   "runId", "endTime", "duration", "pagesDone", "pagesTotal")
_INT_FIELDS = ("startTime", "totalRecords", "processedRecords", "currentPage", "endTime", "duration", "pagesDone",
               "pagesTotal")
MAX_ID_LENGTH = 64
ALL_KINDS = "all"  # `POST /api/hemis/sync/all`: every kind in turn, as the nightly sync does
UNKNOWN_SYNC = ("Unknown HEMIS sync {kind!r}; use students, employees, departments, specialties, groups, "
                "semesters, all, student or employee")


class SyncKind(BaseModel):
    kind: str = Field(description="students, employees, departments, specialties, groups, semesters, or all "
                                  "(the nightly chain: each in turn); student and employee sync one record")


@bp.post("/sync/<kind>")
@endpoint(auth=ADMIN, path=SyncKind, query=OrganizationScope, responses=ACCEPTED_RUN)
def sync(kind: str, query: OrganizationScope) -> ResponseReturnValue:
    """Start a full HEMIS sync of one kind: students, employees, or a lookup list."""
    if kind not in HEMIS_KINDS and kind != ALL_KINDS:
        raise ApiError(404, UNKNOWN_SYNC.format(kind=kind))
    instance = organization_instance()
    triggered_by = f"user:{current_user_id()}"
    try:
        if kind == ALL_KINDS:  # the nightly chain, now
            started = start_nightly(services(), instance.organization_id, triggered_by=triggered_by)
        else:
            started = start_full_run(services(), kind, organization_id=instance.organization_id,
                                     triggered_by=triggered_by)
    except RunAlreadyRunning as exc:
        raise ApiError(409, str(exc), extra={"runId": exc.run_id, "statusUrl": _status_url(exc.run_id)}) from exc
    return _accepted(started.task_id, started.run_id)


class _RecordRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hemis_id: StrictInt | StrictStr | None = None

    @field_validator("*")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return _id_text(value)


class StudentRef(_RecordRef):
    student_id_number: StrictStr | StrictInt = Field(...)


class EmployeeRef(_RecordRef):
    employee_id_number: StrictStr | StrictInt = Field(...)


def _id_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_ID_LENGTH:
        raise ValueError(f"must be a non-empty id of at most {MAX_ID_LENGTH} characters")
    return text


# The single-record syncs are rules of their own (Werkzeug prefers them to `/sync/<kind>`), so
# that each declares its one body.
@bp.post("/sync/student")
@endpoint(auth=ADMIN, body=StudentRef, query=OrganizationScope, responses=ACCEPTED_RUN)
def sync_student(body: StudentRef, query: OrganizationScope) -> ResponseReturnValue:
    """Sync one student, looked up by id number."""
    return _sync_one(SINGLE_KINDS["student"], str(body.student_id_number), body.hemis_id)


@bp.post("/sync/employee")
@endpoint(auth=ADMIN, body=EmployeeRef, query=OrganizationScope, responses=ACCEPTED_RUN)
def sync_employee(body: EmployeeRef, query: OrganizationScope) -> ResponseReturnValue:
    """Sync one employee, looked up by id number."""
    return _sync_one(SINGLE_KINDS["employee"], str(body.employee_id_number), body.hemis_id)


def _sync_one(kind: str, id_number: str, hemis_id: str | None) -> ResponseReturnValue:
    svc = services()
    organization_id = organization_instance().organization_id
    run_id, task_id = new_run_id(), str(uuid.uuid4())
    with session_scope(svc.session_factory) as session, single_sync_slot(svc.redis, session, organization_id):
        run = create_run(session, run_id, single_run_kind(kind), organization_id=organization_id,
                         triggered_by=f"user:{current_user_id()}", task_id=task_id)
        # What to look up stays in the run record: the task message carries ids only (Flower shows it).
        run.stats = {"idNumber": id_number, "hemisId": hemis_id}
    remember_owner(svc.redis, task_id, organization_id)
    publish_leased(svc, catalog.HEMIS_SYNC_ONE, args=[kind, run_id], task_id=task_id)
    return _accepted(task_id, run_id)


class ProgressKind(BaseModel):
    kind: str = Field(description="students, employees, or a lookup list (departments, specialties, groups, "
                                  "semesters)")


class HemisProgress(Open):
    """The original HEMIS service's progress shape, plus the run's fields."""

    status: str | None
    startTime: int | None  # noqa: N815 - epoch ms
    totalRecords: int | None  # noqa: N815
    processedRecords: int | None  # noqa: N815
    errors: list[Any]
    currentPage: int | None  # noqa: N815
    message: str | None
    runId: str | None  # noqa: N815
    endTime: int | None  # noqa: N815
    duration: int | None
    pagesDone: int | None  # noqa: N815
    pagesTotal: int | None  # noqa: N815


@bp.get("/progress/<kind>")
@endpoint(auth=ADMIN, path=ProgressKind, query=OrganizationScope, responses={200: ok(HemisProgress)})
def progress(kind: str, query: OrganizationScope) -> ResponseReturnValue:
    """Progress of the organization's latest HEMIS sync of one kind."""
    if kind not in HEMIS_KINDS:
        raise ApiError(404, f"Unknown HEMIS progress {kind!r}; use {', '.join(HEMIS_KINDS)}")
    return jsonify(progress_body(current_organization_id(), kind))


def progress_body(organization_id: int, kind: str) -> dict[str, Any]:
    """The organization's latest run of `kind`: live from Redis, else its `sync_runs` record, else `idle`."""
    svc = services()
    run_id = svc.progress.latest(progress_scope(organization_id, kind))
    live = svc.progress.get(run_id) if run_id else None
    if live is not None:
        body: dict[str, Any] = {name: live.get(name) for name in PROGRESS_FIELDS}
        for name in _INT_FIELDS:
            body[name] = int(body[name]) if body[name] not in (None, "") else None
        body["runId"] = run_id
        body["errors"] = svc.progress.errors(run_id)
        if body["endTime"] is None and body["startTime"] is not None:
            body["duration"] = None
        return body
    return _from_record(organization_id, kind)


def _from_record(organization_id: int, kind: str) -> dict[str, Any]:
    with session_scope(services().session_factory) as session:
        run = session.scalar(select(SyncRun).where(SyncRun.kind == run_kind(kind),
                                                   SyncRun.organization_id == organization_id)
                             .order_by(SyncRun.started_at.desc()).limit(1))
        if run is None:
            return {"status": "idle", "startTime": None, "totalRecords": 0, "processedRecords": 0, "errors": [],
                    "currentPage": 0, "message": f"No HEMIS {kind} sync has run yet", "runId": None,
                    "endTime": None, "duration": None, "pagesDone": 0, "pagesTotal": 0}
        record = run_as_dict(run)
    stats = record["stats"] or {}
    return {"status": record["status"], "startTime": record["startTime"], "totalRecords": record["total"],
            "processedRecords": record["processed"], "errors": record["errors"],
            "currentPage": stats.get("pagesDone", 0), "message": f"HEMIS sync {record['status']}",
            "runId": record["runId"], "endTime": record["endTime"], "duration": record["duration"],
            "pagesDone": stats.get("pagesDone", 0), "pagesTotal": stats.get("pagesTotal", 0)}


def _status_url(run_id: str) -> str:
    return url_for("runs.run_status", run_id=run_id)


def _accepted(task_id: str, run_id: str) -> ResponseReturnValue:
    return jsonify({"success": True, "taskId": task_id, "runId": run_id, "statusUrl": _status_url(run_id)}), 202
