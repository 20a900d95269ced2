"""Every error leaves the API as JSON `{"success": false, "message", "errors"}`; never HTML, never a trace."""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from shared.db import DB_UNAVAILABLE_ERRORS

RETRY_AFTER_S = 5  # told to clients while the database or Redis restarts
# The safety net's answer (see `_value_refused_by_database`): it names no field, so a test that meets
# it has found a validation gap (the fuzz test fails on it).
VALUE_REFUSED_BY_DATABASE = "A value in the request is out of range or malformed"

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from a view to answer with `status` and a JSON error body."""

    def __init__(self, status: int, message: str, errors: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}
        self.extra = extra or {}
        self.headers = headers or {}


def error_body(message: str, errors: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"success": False, "message": message, "errors": errors or {}, **extra}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> ResponseReturnValue:
        return jsonify(error_body(error.message, error.errors, **error.extra)), error.status, error.headers

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        message = error.description or error.name
        if error.code == 400 and "JSON" in (error.description or ""):
            message = "Request body is not valid JSON"
        response = jsonify(error_body(message, {"code": error.name}))
        response.status_code = error.code or 500
        if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(DataError)
    def _value_refused_by_database(error: DataError) -> ResponseReturnValue:
        # A safety net only: input is validated before it reaches the database, so this means a
        # validation gap (logged to be closed), yet still the caller's input, not a server fault.
        log.warning("database refused a value (validation gap): %s", type(error.orig).__name__)
        return jsonify(error_body(VALUE_REFUSED_BY_DATABASE)), 400

    @app.errorhandler(DB_UNAVAILABLE_ERRORS[0])
    @app.errorhandler(DB_UNAVAILABLE_ERRORS[1])
    def _database_away(error: Exception) -> ResponseReturnValue:
        log.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
        return _unavailable("The database is unavailable (restarting?); try again in a few seconds")

    # Sentinel's "no master known" (MasterNotFoundError) is a redis.ConnectionError; a task the
    # broker could not take (kombu's OperationalError) is the same outage seen through kombu.
    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    @app.errorhandler(BrokerUnavailable)
    def _redis_away(error: Exception) -> ResponseReturnValue:
        log.warning("Redis unavailable: %s", error)
        return _unavailable("Redis is unavailable (restarting, or failing over?); try again in a few seconds")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("unhandled error: %s", type(error).__name__)
        return jsonify(error_body("Internal server error")), 500


def _unavailable(message: str) -> ResponseReturnValue:
    response = jsonify(error_body(message, {"code": "Service Unavailable"}))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response
