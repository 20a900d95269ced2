"""`GET /health`: can we reach the database and Redis, and does any worker answer a ping?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from api.http.access import PUBLIC
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.http.services import services

bp = Blueprint("health", __name__)

WORKER_PING_TIMEOUT_S = 1.0


HEALTH_SCHEMA = {"type": "object", "required": ["success", "status", "database", "redis", "workers"],
                 "properties": {"success": {"type": "boolean"}, "status": {"enum": ["ok", "degraded"]},
                                "database": {"type": "object"}, "redis": {"type": "object"},
                                "workers": {"type": "object"}}}


@bp.get("/health")
@endpoint(auth=PUBLIC, responses={200: ResponseDoc("Everything answers", schema=HEALTH_SCHEMA),
                                  503: ResponseDoc("Something does not answer", schema=HEALTH_SCHEMA)})
def health() -> ResponseReturnValue:
    """Can the API reach the database and Redis, and does any worker answer a ping?"""
    checks = {"database": _check_database(), "redis": _check_redis(), "workers": _check_workers()}
    healthy = all(check["ok"] for check in checks.values())
    body = {"success": healthy, "status": "ok" if healthy else "degraded", **checks}
    return jsonify(body), 200 if healthy else 503


def _check_database() -> dict[str, Any]:
    try:
        with services().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # any failure means "down"; the type is enough for the operator
        return {"ok": False, "error": type(exc).__name__}


def _check_redis() -> dict[str, Any]:
    try:
        services().redis.ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def _check_workers() -> dict[str, Any]:
    try:
        replies = services().celery.control.ping(timeout=WORKER_PING_TIMEOUT_S) or []
    except Exception as exc:
        return {"ok": False, "count": 0, "names": [], "error": type(exc).__name__}
    names = sorted(name for reply in replies for name in reply)
    return {"ok": bool(names), "count": len(names), "names": names}
