"""`POST /api/hemis/cancel/<kind>`: cancel the organization's running full sync of that kind.

The same cancel as `POST /runs/<runId>/cancel` (`api.runs.cancel`), for the run found by its kind:
no page not yet fetched is fetched, the kind's lock is free at once, no record is deactivated, and
the kind a nightly run was to sync next is not started. Who may: whoever may start the
organization's HEMIS syncs (its ADMIN; a SUPERADMIN with `?organizationId=N`). Nothing running
answers 409 with the organization's latest run of the kind, if any.
"""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.auth.access import ADMIN
from api.auth.roles import OrganizationScope, current_organization_id
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import ok
from api.runs.cancel import CancelledRun, cancel_and_answer
from shared.hemis.names import HEMIS_KINDS, run_kind
from shared.models import RunStatus, SyncRun

bp = Blueprint("hemis_cancel", __name__, url_prefix="/api/hemis")


class CancelKind(BaseModel):
    kind: str = Field(description="students, employees, departments, specialties, groups or semesters")


@bp.post("/cancel/<kind>")
@endpoint(auth=ADMIN, path=CancelKind, query=OrganizationScope, responses={200: ok(CancelledRun)})
def cancel_kind(kind: str, query: OrganizationScope) -> ResponseReturnValue:
    """Cancel the organization's running HEMIS sync of one kind; 409 when none is running."""
    if kind not in HEMIS_KINDS:
        raise ApiError(404, f"Unknown HEMIS sync {kind!r}; use {', '.join(HEMIS_KINDS)}")
    organization_id = current_organization_id()
    with services().session() as session:
        newest_first = (select(SyncRun).where(SyncRun.kind == run_kind(kind), SyncRun.organization_id == organization_id)
                        .order_by(SyncRun.started_at.desc()))
        run = session.scalar(newest_first.where(SyncRun.status == RunStatus.RUNNING.value).limit(1))
        latest = run or session.scalar(newest_first.limit(1))
    if run is None:
        extra = {"runId": latest.id, "status": latest.status} if latest is not None else {}
        raise ApiError(409, f"No HEMIS {kind} sync is running", extra=extra)
    return cancel_and_answer(run)
