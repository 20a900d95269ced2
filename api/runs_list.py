"""What the runs page polls: `GET /runs` (running runs and the latest finished ones) and
`GET /overview` (AI calls per status; for admins also queue lengths and workers online).

Scoped like `GET /runs/<id>` and `GET /calls`: a SUPERADMIN sees everything, an ADMIN their
organization plus the HEMIS runs (which belong to no organization), an EMPLOYEE their organization's
runs and their own calls only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import get_current_user, jwt_required
from pydantic import BaseModel, Field

from api.roles import current_role, current_user_id
from api.services import services
from api.validation import parse_query
from shared import deployment
from shared.db import session_scope
from shared.models import ADMIN_ROLES, Role
from shared.run_view import DEFAULT_FINISHED_SHOWN, MAX_RUNS_LISTED, list_runs, run_view

bp = Blueprint("runs_list", __name__)


class RunsQuery(BaseModel):
    kind: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=DEFAULT_FINISHED_SHOWN, ge=1, le=MAX_RUNS_LISTED)


@bp.get("/runs")
@jwt_required()
def runs() -> ResponseReturnValue:
    query = parse_query(RunsQuery)
    svc = services()
    organization_id, include_global = _run_scope()
    with session_scope(svc.session_factory) as session:
        running, finished = list_runs(session, organization_id=organization_id, include_global=include_global,
                                      kind=query.kind, finished_limit=query.limit)
        running_views = [run_view(run, svc.progress.get(run.id), svc.progress.errors(run.id)) for run in running]
        finished_views = [run_view(run, None) for run in finished]
    return jsonify({"success": True, "running": running_views, "finished": finished_views})


@bp.get("/overview")
@jwt_required()
def overview() -> ResponseReturnValue:
    svc = services()
    body: dict[str, Any] = {"success": True, "role": current_role()}
    with session_scope(svc.session_factory) as session:
        body["aiCalls"] = deployment.ai_calls_by_status(session, **_calls_scope())
    if current_role() in ADMIN_ROLES:
        body["queues"] = deployment.queue_lengths(svc.redis)
        body["workers"] = deployment.workers_online(svc.celery, svc.redis)
    return jsonify(body)


def _run_scope() -> tuple[int | None, bool]:
    """(organization whose runs are visible, None for all; whether HEMIS runs are visible)."""
    role = current_role()
    if role == Role.SUPERADMIN.value:
        return None, True
    return _own_organization(), role in ADMIN_ROLES


def _calls_scope() -> dict[str, int | None]:
    role = current_role()
    if role == Role.SUPERADMIN.value:
        return {}
    scope: dict[str, int | None] = {"organization_id": _own_organization()}
    if role not in ADMIN_ROLES:
        scope["employee_id"] = current_user_id()
    return scope


def _own_organization() -> int:
    # A user of no organization who is not a SUPERADMIN sees nothing: -1 matches no organization.
    org_id = get_current_user().organization_id
    return int(org_id) if org_id is not None else -1
