"""Validation with pydantic: bad input becomes a 400 that names each bad field.

This module never reads the request: `api.http.endpoint` hands it what the route declared.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api.http.errors import ApiError

ModelT = TypeVar("ModelT", bound=BaseModel)
VALIDATION_FAILED = "Validation failed"


def validate(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    """`data` as `model`, or a 400 `{"message": "Validation failed", "errors": {field: message}}`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, VALIDATION_FAILED, field_errors(exc)) from exc


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in exc.errors():
        field = ".".join(str(part) for part in item["loc"]) or "body"
        errors[field] = item["msg"]
    return errors
