"""Build the OpenAPI 3.1 document from the app's URL map and the views' `@documented` details."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from werkzeug.routing import Rule
from werkzeug.routing.converters import FloatConverter, IntegerConverter, PathConverter, UUIDConverter

from api.openapi.meta import ResponseDoc, RouteDoc, doc_of
from api.openapi.security import SECURITY_SCHEMES, security_of

OPENAPI_VERSION = "3.1.0"
API_TITLE = "navai-sync API"
API_VERSION = "1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: {success: false, message, errors}, sometimes with more fields (e.g. runId).",
    "required": ["success", "message"],
    "properties": {"success": {"const": False}, "message": {"type": "string"}, "errors": {"type": "object"}},
}
ERROR_RESPONSE = {"description": "Bad input, missing or refused credentials, unknown object, conflict, throttled",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
UNAVAILABLE_RESPONSE = {"description": "A service the request needs (database, Redis, an upstream) is "
                                       "unavailable or not configured",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_VARIABLE = re.compile(r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def build_document(app: Flask) -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda item: item.rule):
        view = app.view_functions.get(rule.endpoint)
        doc = doc_of(view) if view is not None else RouteDoc()
        if view is None or rule.endpoint == "static" or doc.hidden:
            continue
        path = _VARIABLE.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method, view, doc, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": API_TITLE, "version": API_VERSION,
                 "description": "Generated from the running code: every route of the app is listed."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def _operation(rule: Rule, method: str, view: Any, doc: RouteDoc, schemas: dict[str, Any]) -> dict[str, Any]:
    security, roles = security_of(view, doc)
    summary = doc.summary or _first_line(view.__doc__) or rule.endpoint
    operation: dict[str, Any] = {
        "operationId": f"{rule.endpoint}.{method.lower()}",
        "tags": [rule.endpoint.partition(".")[0]],
        "summary": summary,
        "parameters": _path_parameters(rule) + _query_parameters(doc.query, schemas),
        "responses": _responses(doc, schemas),
        "security": security,
    }
    if roles:
        operation["description"] = f"Roles: {', '.join(roles)}."
    if doc.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _model_schema(doc.body, schemas)}}}
    return operation


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    converters = getattr(rule, "_converters", {})
    return [{"name": name, "in": "path", "required": True, "schema": _converter_schema(converters.get(name))}
            for name in _VARIABLE.findall(rule.rule)]


def _converter_schema(converter: Any) -> dict[str, Any]:
    if isinstance(converter, IntegerConverter):
        # No maximum: any size is a valid request, and one beyond any id is answered 404 (api.input_guards).
        return {"type": "integer", "minimum": 0} if not converter.signed else {"type": "integer"}
    if isinstance(converter, FloatConverter):
        return {"type": "number"}
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    if isinstance(converter, PathConverter):
        return {"type": "string", "minLength": 1}
    return {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}


def _query_parameters(model: type[BaseModel] | None, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = _model_schema(model, schemas, inline=True)
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": _without_null(prop)}
            for name, prop in schema.get("properties", {}).items()]


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query string cannot carry JSON null: an optional parameter is simply left out."""
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if not options or len(options) == len(schema.get("anyOf", [])):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**rest, **options[0]} if len(options) == 1 else {**rest, "anyOf": options}


def _responses(doc: RouteDoc, schemas: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {status: _response(item, schemas) for status, item in doc.responses.items()}
    if not doc.responses:  # a route that declares nothing: any success or redirect, of any media type
        responses["2XX"] = {"description": "Success"}
        responses["3XX"] = {"description": "Redirect"}
    responses.setdefault("4XX", ERROR_RESPONSE)
    responses.setdefault("503", UNAVAILABLE_RESPONSE)
    return responses


def _response(item: ResponseDoc, schemas: dict[str, Any]) -> dict[str, Any]:
    if item.model is None and item.schema is None:
        return {"description": item.description, "content": {item.media_type: {}}}
    schema = _model_schema(item.model, schemas) if item.model is not None else item.schema
    return {"description": item.description, "content": {item.media_type: {"schema": schema}}}


def _model_schema(model: type[BaseModel], schemas: dict[str, Any], *, inline: bool = False) -> dict[str, Any]:
    """The model's JSON schema; nested models go to components. A body model itself is a component
    (`$ref`), a query model is returned inline (its properties become parameters)."""
    schema = model.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE, mode="validation")
    schemas.update(schema.pop("$defs", {}))
    if inline:
        return schema
    schemas[model.__name__] = schema
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _first_line(text: str | None) -> str | None:
    return text.strip().splitlines()[0].strip() if text and text.strip() else None
