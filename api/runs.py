"""`GET /runs/<runId>`: live progress from Redis while a run goes on, its record afterwards."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import jwt_required

from api.errors import ApiError
from api.openapi import documented
from api.openapi.common import Succeeded, ok
from api.roles import current_organization_id, current_role, is_admin
from api.services import services
from shared.db import session_scope
from shared.models import Role, SyncRun
from shared.runs import run_as_dict

bp = Blueprint("runs", __name__, url_prefix="/runs")

MAX_RUN_ID_LENGTH = 36  # sync_runs.id is a UUID string


class RunRecord(Succeeded):
    runId: str  # noqa: N815
    status: str


@bp.get("/<run_id>")
@documented(responses={200: ok(RunRecord)})
@jwt_required()
def run_status(run_id: str) -> ResponseReturnValue:
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
    return jsonify({"success": True, **body})


def _check_visible(run: SyncRun) -> None:
    """Organization runs are visible to their own organization (and to SUPERADMINs); deployment
    runs (HEMIS) to ADMINs and SUPERADMINs only. Anything else is as unknown as a missing run."""
    if current_role() == Role.SUPERADMIN.value:
        return
    if run.organization_id is None:
        visible = is_admin()
    else:
        visible = run.organization_id == current_organization_id()
    if not visible:
        raise ApiError(404, f"Run {run.id} not found")
