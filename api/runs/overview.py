"""`GET /overview`: AI calls per status for the caller's scope; for admins also queue lengths and
how many workers are alive, and for a SUPERADMIN their names (host names are the operator's, not a
tenant's). The runs page polls it beside `GET /runs`.

Workers are read from their liveness keys (`LeaseStore.alive_workers`), never pinged: a page polled
every 2 s by many users costs two Redis round trips, not a broadcast that waits its whole timeout."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import Field

from api.auth.access import SIGNED_IN
from api.auth.roles import current_role, current_user_id
from api.http.endpoint import endpoint
from api.http.services import services
from api.observability import readings
from api.openapi.common import Succeeded, ok
from api.runs.routes import own_organization
from shared.db import session_scope
from shared.models import ADMIN_ROLES, Role

bp = Blueprint("overview", __name__)


class Overview(Succeeded):
    role: str
    aiCalls: dict[str, int]  # noqa: N815 - the API's JSON is camelCase
    queues: dict[str, int] | None = Field(None, description="Admins only: messages waiting per queue")
    workersOnline: int | None = Field(None, description="Admins only: how many workers are alive")
    workers: list[str] | None = Field(None, description="SUPERADMIN only: the names of the workers alive")


@bp.get("/overview")
@endpoint(auth=SIGNED_IN, responses={200: ok(Overview)})
def overview() -> ResponseReturnValue:
    """AI calls per status in the caller's scope; for admins also queue lengths and workers alive."""
    svc = services()
    role = current_role()
    body: dict[str, Any] = {"success": True, "role": role}
    with session_scope(svc.session_factory) as session:
        body["aiCalls"] = readings.ai_calls_by_status(session, **_calls_scope())
    if role in ADMIN_ROLES:
        alive = svc.leases.alive_workers()
        body["queues"] = readings.queue_lengths(svc.redis)
        body["workersOnline"] = len(alive)
        if role == Role.SUPERADMIN.value:
            body["workers"] = alive
    return jsonify(body)


def _calls_scope() -> dict[str, int | None]:
    role = current_role()
    if role == Role.SUPERADMIN.value:
        return {}
    scope: dict[str, int | None] = {"organization_id": own_organization()}
    if role not in ADMIN_ROLES:
        scope["employee_id"] = current_user_id()
    return scope
