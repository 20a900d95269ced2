"""Guards every route gets, so bad input is a 4xx and never reaches the database as a 500:

- JSON nested deeper than Python can parse is "not valid JSON" (400), not a RecursionError;
- a NUL byte in the path is 400 (PostgreSQL refuses NUL; `api.http.endpoint` refuses it in the
  query string and in JSON strings, with `contains_nul`);
- an `<int:...>` path parameter beyond PostgreSQL's `integer` is 404 (no such row can exist).

Nothing here reads the request: the path values come from the URL map.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from api.http.errors import ApiError

MAX_DB_INT = 2**31 - 1
NUL = "\x00"


class GuardedJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:  # Flask turns a ValueError into "not valid JSON"
            raise ValueError("JSON nested too deeply") from exc


def contains_nul(value: Any) -> bool:
    """True if any string in `value` (JSON data, walked without recursion) holds a NUL byte."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def install_input_guards(app: Flask) -> None:
    app.json_provider_class = GuardedJSONProvider
    app.json = GuardedJSONProvider(app)

    @app.url_value_preprocessor
    def _check_path(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        for name, value in (values or {}).items():
            if isinstance(value, str) and NUL in value:
                raise ApiError(400, "Validation failed", {name: "must not contain a NUL byte"})
            if isinstance(value, int) and value > MAX_DB_INT:
                raise ApiError(404, f"No such {name}")

