"""The fuzz test's edge cases: for every parameter and top-level body field of an operation, values
at and beyond the edges of what the system can represent, by the kind of value its schema
documents (issue #18, point 5).

Random generation seldom meets these: a statistics window fails only when *both* its days sit near
year 1 or 9999 (one extreme day alone makes a window too long, which is refused early), and an
integer overflows PostgreSQL only past 2**31 or 2**63. So the inputs of an operation are grouped
by kind (days, moments, integers, numbers, strings, headers), and each group in turn takes the
n-th value of its kind in all its inputs at once (`from` and `to` the same extreme day), while
the other inputs stay plain: left out when optional, the world's ids in the path, a simple valid
value in a required body field. So an extreme value gets past the checks of the other inputs to
the code that handles it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

LONG_DIGITS = "9" * 5000  # more digits than Python turns into an int by default (4300)
INTEGERS = (0, -1, 2**31, 2**63, 10**30, -(10**30), 2**31 - 1)
# JSON numbers only: NaN and Infinity are no JSON (tests/api/http/test_bad_input.py sends them raw).
FLOATS = (1e308, -1e308, 5e-324, 0.0, 1001.0, -0.0, 1e-7)
# Days in both documented spellings, at the edges of Python's dates and of the years the API takes.
DAYS = ("0001-01-01", "9999-12-31", "01.01.0001", "31.12.9999", "1899-12-31", "9000-12-31", "29.02.2023")
MOMENTS = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0001-01-01", "9999-12-31",
           "9999-12-31T23:59:59.999999", "1900-01-01T00:00:00+23:59", "2024-02-30T00:00:00")
STRINGS = (LONG_DIGITS, "\x00", " ", "0 0 30 2 *", "-" + LONG_DIGITS, "../../etc/passwd", "𝟗٣")
# Header values: what a header can carry (no NUL, no line break), shaped like a byte range.
HEADER_VALUES = ("bytes=" + LONG_DIGITS + "-", "bytes=0-" + "9" * 19, "bytes=-" + "9" * 19, "bytes=0-0",
                 "bytes=-0", "bytes=5-1", "bytes=" + "0" * 40 + "-" + "9" * 40)
VALUES = {"date-time": MOMENTS, "date": DAYS, "integer": INTEGERS, "number": FLOATS, "string": STRINGS,
          "header": HEADER_VALUES}
DATE_PATTERN_HINT = r"\d{4}"  # the DD.MM.YYYY pattern of Sipuni days
# Plain values for a required body field outside the group under test, tried against its pattern.
PLAIN_STRINGS = ("fuzz@fuzz.test", "201", "13.10.2025", "0 2 * * *", "UTC", "plain")
TARGETS = {"path": "path_parameters", "query": "query", "header": "headers", "body": "body"}


@dataclass(frozen=True)
class Input:
    location: str  # path, query, header or body
    name: str
    kind: str  # a key of VALUES
    schema: dict[str, Any]
    required: bool


def cases(operation: dict[str, Any], components: dict[str, Any], ids: dict[str, int]) -> Iterator[dict[str, Any]]:
    """Keyword arguments of `APIOperation.Case` (path_parameters, query, headers, body, media_type)."""
    inputs = _inputs(operation, components)
    has_body = _json_body_schema(operation, components) is not None
    for kind in dict.fromkeys(item.kind for item in inputs):
        for value in VALUES[kind]:
            case: dict[str, Any] = {"path_parameters": {}, "query": {}, "headers": {}}
            if has_body:
                case["body"], case["media_type"] = {}, "application/json"
            for item in inputs:
                if item.kind == kind:
                    case[TARGETS[item.location]][item.name] = _as_sent(value, item.location)
                elif item.location == "path" or item.required:
                    case[TARGETS[item.location]][item.name] = _plain(item, components, ids)
            yield case


def _inputs(operation: dict[str, Any], components: dict[str, Any]) -> list[Input]:
    inputs = [Input(parameter["in"], parameter["name"], _kind(parameter["schema"], components, parameter["in"]),
                    parameter["schema"], bool(parameter.get("required"))) for parameter in operation.get("parameters", [])]
    body = _json_body_schema(operation, components)
    if body is not None:
        required = set(body.get("required", []))
        inputs += [Input("body", name, _kind(schema, components, "body"), schema, name in required)
                   for name, schema in body.get("properties", {}).items()]
    return inputs


def _json_body_schema(operation: dict[str, Any], components: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return None if content is None else _resolved(content["schema"], components)


def _kind(schema: dict[str, Any], components: dict[str, Any], location: str) -> str:
    if location == "header":
        return "header"
    kinds = {_option_kind(option) for option in _options(schema, components)}
    return next((kind for kind in ("date-time", "date", "integer", "number") if kind in kinds), "string")


def _option_kind(schema: dict[str, Any]) -> str:
    if schema.get("format") in ("date", "date-time"):
        return str(schema["format"])
    if schema.get("type") == "string" and DATE_PATTERN_HINT in schema.get("pattern", ""):
        return "date"
    return str(schema.get("type", "string"))


def _as_sent(value: Any, location: str) -> Any:
    """Path and query values travel as text; a path cannot carry a slash."""
    if location == "path" and isinstance(value, str):
        return value.replace("/", "_")
    return str(value) if location in ("path", "query") else value


def _plain(item: Input, components: dict[str, Any], ids: dict[str, int]) -> Any:
    """A simple valid value for an input outside the group under test."""
    if item.name in ids:
        return ids[item.name]
    option = _options(item.schema, components)[0]
    if "default" in item.schema or "default" in option:
        return item.schema.get("default", option.get("default"))
    if "enum" in option:
        return option["enum"][0]
    kind = option.get("type")
    if kind in ("integer", "number"):
        return max(1, option.get("minimum", 1))
    if kind == "boolean":
        return True
    pattern = option.get("pattern")
    return next((text for text in PLAIN_STRINGS if pattern is None or re.search(pattern, text)), "plain")


def _options(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolved(schema, components)
    options = schema.get("anyOf") or schema.get("oneOf")
    return [_resolved(option, components) for option in options] if options else [schema]


def _resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rpartition("/")[2]]
    return schema
