"""Build the OpenAPI 3.1 document from the app's URL map and each route's `@endpoint` declaration."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from pydantic import BaseModel
from werkzeug.routing import Rule
from werkzeug.routing.converters import FloatConverter, IntegerConverter, PathConverter, UUIDConverter

from api.http.declaration import Endpoint, ResponseDoc, declaration_of
from api.openapi.security import SECURITY_SCHEMES, security_requirement

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
# A route without a declaration (only ever one added outside the API's packages; tests forbid it
# in the API): any success or redirect, of any media type.
UNDECLARED_RESPONSES = {"2XX": {"description": "Success"}, "3XX": {"description": "Redirect"}}
_VARIABLE = re.compile(r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def build_document(app: Flask) -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda item: item.rule):
        view = app.view_functions.get(rule.endpoint)
        if view is None or rule.endpoint == "static":
            continue
        path = openapi_path(rule)
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method, view, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": API_TITLE, "version": API_VERSION,
                 "description": "Generated from the running code: every route of the app is listed."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def openapi_path(rule: Rule) -> str:
    """`/calls/<int:call_id>` as OpenAPI spells it: `/calls/{call_id}`."""
    return _VARIABLE.sub(r"{\1}", rule.rule)


def _operation(rule: Rule, method: str, view: Callable[..., Any], schemas: dict[str, Any]) -> dict[str, Any]:
    declaration = declaration_of(view)
    operation: dict[str, Any] = {
        "operationId": f"{rule.endpoint}.{method.lower()}",
        "tags": [rule.endpoint.partition(".")[0]],
        "summary": (declaration.summary if declaration else None) or _first_line(view.__doc__) or rule.endpoint,
    }
    if declaration is None:
        return {**operation, "parameters": _path_parameters(rule, None, schemas), "responses": {
            **UNDECLARED_RESPONSES, "4XX": ERROR_RESPONSE, "503": UNAVAILABLE_RESPONSE}, "security": []}
    operation["parameters"] = (_path_parameters(rule, declaration.path, schemas)
                               + _parameters(declaration.query, "query", schemas)
                               + _parameters(declaration.headers, "header", schemas))
    operation["responses"] = _responses(declaration, schemas)
    operation["security"] = security_requirement(declaration.auth)
    if declaration.auth.roles:
        operation["description"] = f"Roles: {', '.join(declaration.auth.roles)}."
    if declaration.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _model_schema(declaration.body, schemas)}}}
    return operation


def _path_parameters(rule: Rule, model: type[BaseModel] | None, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """One parameter per URL variable: its converter's schema, refined by the path model's field."""
    converters = getattr(rule, "_converters", {})
    declared = {parameter["name"]: parameter for parameter in _parameters(model, "path", schemas)}
    parameters = []
    for name in _VARIABLE.findall(rule.rule):
        refined = declared.get(name, {})
        parameter = {"name": name, "in": "path", "required": True,
                     "schema": {**_converter_schema(converters.get(name)), **refined.get("schema", {})}}
        if "description" in refined:
            parameter["description"] = refined["description"]
        parameters.append(parameter)
    return parameters


def _converter_schema(converter: Any) -> dict[str, Any]:
    if isinstance(converter, IntegerConverter):
        # No maximum: any size is a valid request, and one beyond any id is answered 404 (api.http.input_guards).
        return {"type": "integer", "minimum": 0} if not converter.signed else {"type": "integer"}
    if isinstance(converter, FloatConverter):
        return {"type": "number"}
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    if isinstance(converter, PathConverter):
        return {"type": "string", "minLength": 1}
    return {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}


def _parameters(model: type[BaseModel] | None, location: str, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """A model's fields as parameters `in` the location, named as the request spells them (alias)."""
    if model is None:
        return []
    schema = _model_schema(model, schemas, inline=True)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        parameter = {"name": name, "in": location, "required": name in required, "schema": _without_null(prop)}
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query string or a header cannot carry JSON null: an optional parameter is simply left out."""
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if not options or len(options) == len(schema.get("anyOf", [])):
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf" and (key, value) != ("default", None)}
    return {**rest, **options[0]} if len(options) == 1 else {**rest, "anyOf": options}


def _responses(declaration: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {status: _response(item, schemas) for status, item in declaration.responses.items()}
    responses.setdefault("4XX", ERROR_RESPONSE)
    responses.setdefault("503", UNAVAILABLE_RESPONSE)
    return responses


def _response(item: ResponseDoc, schemas: dict[str, Any]) -> dict[str, Any]:
    schema = _model_schema(item.model, schemas) if item.model is not None else item.schema
    media = {"schema": schema} if schema is not None else {}
    return {"description": item.description, "content": {media_type: media for media_type in item.media_types}}


def _model_schema(model: type[BaseModel], schemas: dict[str, Any], *, inline: bool = False) -> dict[str, Any]:
    """The model's JSON schema; nested models go to components. A body or response model itself is
    a component (`$ref`), a parameter model is returned inline (its properties become parameters)."""
    schema = model.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE, mode="validation")
    for name, nested in schema.pop("$defs", {}).items():
        _add_component(schemas, name, nested)
    if inline:
        return schema
    _add_component(schemas, model.__name__, schema)
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _add_component(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    """Components are keyed by model name: two different models of one name would overwrite each other."""
    if schemas.setdefault(name, schema) != schema:
        raise ValueError(f"two different models are named {name!r}: rename one")


def _first_line(text: str | None) -> str | None:
    return text.strip().splitlines()[0].strip() if text and text.strip() else None
