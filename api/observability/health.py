"""`GET /health`: can we reach the database and Redis, and is any worker alive?

It answers from what is already there, never from a broadcast: the workers say they are alive by
renewing their liveness keys in Redis (`workers.recovery.worker_signals`; read with
`LeaseStore.alive_workers`), so the answer takes a few Redis and database round trips, at any
request rate (`api.observability.probes`: each check shared by concurrent requests and bounded).
Anyone may ask, so it says up or down per component and how many workers are alive, never which:
the workers' host names are for a SUPERADMIN, in `GET /overview`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from api.http.access import PUBLIC
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.http.services import Services, services
from api.observability.probes import Check, Probes

bp = Blueprint("health", __name__)

PROBES_KEY = "navai_health_probes"
# A component that has not answered within this long of its check's start is reported down.
HEALTH_CHECK_TIMEOUT_S = 0.5
# The database refuses to work longer than that on the check (it runs in a transaction of its own).
HEALTH_STATEMENT_TIMEOUT_MS = int(HEALTH_CHECK_TIMEOUT_S * 1000)
COMPONENTS = ("database", "redis", "workers")

_COMPONENT = {"type": "object", "required": ["ok"],
              "properties": {"ok": {"type": "boolean"}, "error": {"type": "string"}}}
_WORKERS = {"type": "object", "required": ["ok", "count"],
            "properties": {"ok": {"type": "boolean"}, "count": {"type": "integer", "minimum": 0},
                           "error": {"type": "string"}}}
HEALTH_SCHEMA = {"type": "object", "required": ["success", "status", "database", "redis", "workers"],
                 "properties": {"success": {"type": "boolean"}, "status": {"enum": ["ok", "degraded"]},
                                "database": _COMPONENT, "redis": _COMPONENT, "workers": _WORKERS}}


@bp.record_once
def _install_probes(state: BlueprintSetupState) -> None:
    state.app.extensions[PROBES_KEY] = Probes(HEALTH_CHECK_TIMEOUT_S, len(COMPONENTS))


@bp.get("/health")
@endpoint(auth=PUBLIC, responses={200: ResponseDoc("Everything answers", schema=HEALTH_SCHEMA),
                                  503: ResponseDoc("Something does not answer", schema=HEALTH_SCHEMA)})
def health() -> ResponseReturnValue:
    """Can the API reach the database and Redis, and is any worker alive? (200, or 503 naming what is down)"""
    checks = current_app.extensions[PROBES_KEY].run(component_checks(services()))
    checks["workers"].setdefault("count", 0)  # none counted when Redis did not answer
    healthy = all(check["ok"] for check in checks.values())
    body = {"success": healthy, "status": "ok" if healthy else "degraded", **checks}
    return jsonify(body), 200 if healthy else 503


def component_checks(svc: Services) -> dict[str, Check]:
    """The checks, bound to this app's services (they run outside the request's context)."""
    return {"database": lambda: _check_database(svc), "redis": lambda: _check_redis(svc),
            "workers": lambda: _check_workers(svc)}


def _check_database(svc: Services) -> dict[str, Any]:
    with svc.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SET LOCAL statement_timeout = {HEALTH_STATEMENT_TIMEOUT_MS}"))
        connection.execute(text("SELECT 1"))
    return {"ok": True}


def _check_redis(svc: Services) -> dict[str, Any]:
    svc.redis.ping()
    return {"ok": True}


def _check_workers(svc: Services) -> dict[str, Any]:
    count = len(svc.leases.alive_workers())
    return {"ok": count > 0, "count": count}
