"""`GET /runs` (running runs and the latest finished ones, with progress) and `GET /runs/<runId>`
(live progress from Redis while a run goes on, its record afterwards).

Scoped like `GET /calls`: a SUPERADMIN sees everything, anyone else their organization's runs;
its HEMIS runs (each organization syncs its own HEMIS) only to its ADMINs (issue #12, point 2: a
single-record sync names the ID number looked up). A run of no organization (a HEMIS run recorded
before HEMIS was per organization, when no organization existed) is a SUPERADMIN's.
What another organization looked up or who of it started a run stays hidden (`api.runs.privacy`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import get_current_user
from pydantic import BaseModel, Field

from api.auth.access import SIGNED_IN
from api.auth.roles import current_organization_id, current_role, is_admin
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import Open, Succeeded, ok
from api.runs.privacy import Viewer, hide_other_organizations
from api.runs.view import DEFAULT_FINISHED_SHOWN, MAX_RUNS_LISTED, list_runs, run_view
from shared.db import session_scope
from shared.hemis.names import FULL_RUN_KINDS, SINGLE_RUN_KINDS
from shared.models import Role, SyncRun
from shared.runs.record import run_as_dict

bp = Blueprint("runs", __name__)

MAX_RUN_ID_LENGTH = 36  # sync_runs.id is a UUID string
HEMIS_RUN_KINDS = FULL_RUN_KINDS + SINGLE_RUN_KINDS  # an ADMIN's (and a SUPERADMIN's) only


class RunFields(Open):
    """A `sync_runs` record as the API shows it (`shared.runs.record.run_as_dict`)."""

    runId: str  # noqa: N815 - the API's JSON is camelCase
    kind: str
    status: str
    organizationId: int | None  # noqa: N815
    taskId: str | None  # noqa: N815
    triggeredBy: str | None  # noqa: N815
    startTime: int | None  # noqa: N815 - epoch ms
    endTime: int | None  # noqa: N815
    duration: int | None  # ms
    total: int | None
    processed: int | None
    skipped: int | None
    failed: int | None
    errors: list[Any]
    stats: dict[str, Any]


class RunRecord(RunFields, Succeeded):
    live: dict[str, Any] | None = Field(None, description="The live progress hash, while the run goes on")


class RunWithProgress(RunFields):
    progress: dict[str, Any]


class RunsList(Succeeded):
    running: list[RunWithProgress]
    finished: list[RunWithProgress]


class RunId(BaseModel):
    run_id: str = Field(description="The runId of a 202 answer")


@bp.get("/runs/<run_id>")
@endpoint(auth=SIGNED_IN, path=RunId, responses={200: ok(RunRecord)})
def run_status(run_id: str) -> ResponseReturnValue:
    """A run's record, with its live progress while it runs."""
    if len(run_id) > MAX_RUN_ID_LENGTH:
        raise ApiError(404, "Run not found")
    with session_scope(services().session_factory) as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise ApiError(404, f"Run {run_id} not found")
        _check_visible(run)
        body = run_as_dict(run)
        live = services().progress.get(run_id)
        if live is not None and body["status"] in ("running", "pending"):
            body["live"] = live
            body["errors"] = services().progress.errors(run_id) or body["errors"]
        hide_other_organizations(session, [body], current_viewer())
    return jsonify({"success": True, **body})


def _check_visible(run: SyncRun) -> None:
    """A run is visible to its own organization (and to SUPERADMINs); anything else is as unknown
    as a missing run."""
    if current_role() == Role.SUPERADMIN.value:
        return
    if run.organization_id is None or run.organization_id != current_organization_id():
        raise ApiError(404, f"Run {run.id} not found")
    if run.kind in HEMIS_RUN_KINDS and not is_admin():
        raise ApiError(404, f"Run {run.id} not found")


class RunsQuery(BaseModel):
    kind: str | None = Field(default=None, max_length=40, description="Only runs of this kind, e.g. hemis_students")
    limit: int = Field(default=DEFAULT_FINISHED_SHOWN, ge=1, le=MAX_RUNS_LISTED, description="Finished runs to show")


@bp.get("/runs")
@endpoint(auth=SIGNED_IN, query=RunsQuery, responses={200: ok(RunsList)})
def runs(query: RunsQuery) -> ResponseReturnValue:
    """Running runs and the latest finished ones, with their progress (what the runs page shows)."""
    svc = services()
    organization_id, include_global = _run_scope()
    with session_scope(svc.session_factory) as session:
        running, finished = list_runs(session, organization_id=organization_id, include_global=include_global,
                                      kind=query.kind, finished_limit=query.limit,
                                      hidden_kinds=() if is_admin() else HEMIS_RUN_KINDS)
        running_views = [run_view(run, svc.progress.get(run.id), svc.progress.errors(run.id)) for run in running]
        finished_views = [run_view(run, None) for run in finished]
        hide_other_organizations(session, [*running_views, *finished_views], current_viewer())
    return jsonify({"success": True, "running": running_views, "finished": finished_views})


def _run_scope() -> tuple[int | None, bool]:
    """(organization whose runs are visible, None for all; whether runs of no organization are)."""
    if current_role() == Role.SUPERADMIN.value:
        return None, True
    return own_organization(), False


def current_viewer() -> Viewer:
    caller = get_current_user()
    return Viewer(str(caller.role), caller.organization_id)


def own_organization() -> int:
    # A user of no organization who is not a SUPERADMIN sees nothing: -1 matches no organization.
    org_id = get_current_user().organization_id
    return int(org_id) if org_id is not None else -1
