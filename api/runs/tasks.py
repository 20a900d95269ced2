"""`GET /tasks/<task_id>`: a task's state and result from Celery's result backend.

Only tasks of the caller's organization are shown (a SUPERADMIN sees all); HEMIS tasks (of an
organization, or of the deployment as recorded before HEMIS was per organization) only to ADMINs,
as their runs are (`api.runs.routes`). Any other id answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import get_current_user
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.auth.access import SIGNED_IN
from api.auth.roles import is_admin
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import TaskStatus, ok
from api.runs.routes import HEMIS_RUN_KINDS
from shared.db import session_scope
from shared.models import Role, SyncRun
from shared.runs.owners import DEPLOYMENT, owner_of

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

MAX_TASK_ID_LENGTH = 64


class TaskId(BaseModel):
    task_id: str = Field(description="The taskId of a 202 answer")


@bp.get("/<task_id>")
@endpoint(auth=SIGNED_IN, path=TaskId, responses={200: ok(TaskStatus)})
def task_status(task_id: str) -> ResponseReturnValue:
    """A task's state and result, from Celery's result backend."""
    if len(task_id) > MAX_TASK_ID_LENGTH:
        raise ApiError(400, "taskId is too long")
    if not _visible(task_id):
        raise ApiError(404, f"Task {task_id} not found")
    result = services().celery.AsyncResult(task_id)
    state = result.state
    return jsonify({"taskId": task_id, "state": state, "result": _result_payload(state, result.result)})


def _visible(task_id: str) -> bool:
    caller = get_current_user()
    if caller.role == Role.SUPERADMIN.value:
        return True
    owner = owner_of(services().redis, task_id)
    if owner == DEPLOYMENT:
        return is_admin()
    if owner is None or owner != str(caller.organization_id):
        return False
    return is_admin() or not _starts_a_hemis_run(caller.organization_id, task_id)


def _starts_a_hemis_run(organization_id: int, task_id: str) -> bool:
    """Whether `task_id` is the task of one of the organization's HEMIS runs (its coordinator or
    single-record sync: what the API records an owner for)."""
    with session_scope(services().session_factory) as session:
        return session.scalar(select(SyncRun.id).where(
            SyncRun.organization_id == organization_id, SyncRun.task_id == task_id,
            SyncRun.kind.in_(HEMIS_RUN_KINDS)).limit(1)) is not None


def _result_payload(state: str, value: Any) -> Any:
    # Exceptions are not JSON: show their type and message, never a traceback.
    if isinstance(value, BaseException):
        return {"error": type(value).__name__, "message": str(value)}
    if state == "PENDING":
        return None
    return value
