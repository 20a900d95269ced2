"""The checks behind test_declarations.py, as functions that return what is wrong, so that the tests
can also show each check failing on a broken app, document or module."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from flask import Flask
from pydantic import BaseModel
from werkzeug.routing import Rule

from api.http.declaration import Endpoint, declaration_of
from api.openapi.builder import IGNORED_METHODS, openapi_path

# What carries a request's inputs (the brief's list, and the other ways to the same data).
REQUEST_INPUTS = frozenset({
    "args", "form", "values", "json", "get_json", "get_data", "data", "headers", "cookies",
    "files", "view_args", "stream", "input_stream", "query_string", "environ", "authorization", "range",
})
LOCATIONS = (("path", "path"), ("query", "query"), ("headers", "header"))


def routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    """Every (rule, method) of the URL map but Flask's own `static`."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            for method in sorted((rule.methods or set()) - IGNORED_METHODS):
                yield rule, method


def undocumented_operations(app: Flask, document: dict[str, Any]) -> list[str]:
    """(a) Routes of the URL map, by method, that the document lacks."""
    paths = document["paths"]
    return sorted(f"{method} {rule.rule}" for rule, method in routes(app)
                  if method.lower() not in paths.get(openapi_path(rule), {}))


def undeclared_views(app: Flask) -> list[str]:
    """(d) Routes whose view has no `@endpoint` declaration."""
    views = app.view_functions
    return sorted({rule.endpoint for rule, _ in routes(app) if declaration_of(views[rule.endpoint]) is None})


def documentation_gaps(app: Flask, document: dict[str, Any]) -> list[str]:
    """(b) Declared inputs or responses a documented operation does not show."""
    gaps: list[str] = []
    for rule, method in routes(app):
        declaration = declaration_of(app.view_functions[rule.endpoint])
        operation = document["paths"].get(openapi_path(rule), {}).get(method.lower())
        if declaration is not None and operation is not None:
            gaps += [f"{method} {rule.rule}: {gap}" for gap in _gaps(declaration, operation)]
    return gaps


def _gaps(declaration: Endpoint, operation: dict[str, Any]) -> Iterator[str]:
    parameters = {(parameter["in"], parameter["name"]) for parameter in operation.get("parameters", [])}
    for attribute, location in LOCATIONS:
        for name in request_names(getattr(declaration, attribute)):
            if (location, name) not in parameters:
                yield f"{location} parameter {name!r} is not documented"
    if declaration.body is not None:
        schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("$ref", "").rpartition("/")[2] != declaration.body.__name__:
            yield f"the body {declaration.body.__name__} is not documented"
    for status in declaration.responses:
        if status not in operation.get("responses", {}):
            yield f"the {status} response is not documented"


def request_names(model: type[BaseModel] | None) -> list[str]:
    """A model's fields as the request spells them: the alias where there is one."""
    return [] if model is None else [field.alias or name for name, field in model.model_fields.items()]


def request_reads(source: str) -> list[str]:
    """(c) Where a module touches the request's inputs (`request.args`, `flask.request.headers`, an
    alias of `request`, or the request object handed on as a value, which hides the read)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    aliases = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module == "flask" for alias in node.names if alias.name == "request"}
    modules = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names if alias.name == "flask"}
    reads = []
    for node in ast.walk(tree):
        if _is_request(node, aliases, modules):
            parent = parents.get(node)
            if not isinstance(parent, ast.Attribute):
                reads.append(f"line {node.lineno}: the request object is used as a value")
            elif parent.attr in REQUEST_INPUTS:
                reads.append(f"line {node.lineno}: request.{parent.attr}")
    return reads


def _is_request(node: ast.AST, aliases: set[str], modules: set[str]) -> bool:
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        return node.id in aliases
    return (isinstance(node, ast.Attribute) and node.attr == "request" and isinstance(node.value, ast.Name)
            and node.value.id in modules)
