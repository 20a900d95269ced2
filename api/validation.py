"""Request validation with pydantic: bad input becomes a 400 that names each bad field."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from api.errors import ApiError
from api.input_guards import contains_nul

ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_json(model: type[ModelT]) -> ModelT:
    """Parse the request's JSON body into `model`, or answer 400."""
    payload = request.get_json(silent=True)
    if payload is None:
        if request.get_data(cache=True).strip():
            raise ApiError(400, "Request body is not valid JSON")
        payload = {}
    if not isinstance(payload, dict):
        raise ApiError(400, "Request body must be a JSON object")
    if contains_nul(payload):
        raise ApiError(400, "Validation failed", {"body": "strings must not contain a NUL byte"})
    return _validate(model, payload)


def parse_query(model: type[ModelT]) -> ModelT:
    """Parse the query string into `model`, or answer 400."""
    return _validate(model, request.args.to_dict())


def _validate(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, "Validation failed", field_errors(exc)) from exc


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in exc.errors():
        field = ".".join(str(part) for part in item["loc"]) or "body"
        errors[field] = item["msg"]
    return errors
