"""`GET /tasks/<task_id>`: a task's state and result from Celery's result backend."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import jwt_required

from api.errors import ApiError
from api.services import services

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

MAX_TASK_ID_LENGTH = 64


@bp.get("/<task_id>")
@jwt_required()
def task_status(task_id: str) -> ResponseReturnValue:
    if len(task_id) > MAX_TASK_ID_LENGTH:
        raise ApiError(400, "taskId is too long")
    result = services().celery.AsyncResult(task_id)
    state = result.state
    return jsonify({"taskId": task_id, "state": state, "result": _result_payload(state, result.result)})


def _result_payload(state: str, value: Any) -> Any:
    # Exceptions are not JSON: show their type and message, never a traceback.
    if isinstance(value, BaseException):
        return {"error": type(value).__name__, "message": str(value)}
    if state == "PENDING":
        return None
    return value
