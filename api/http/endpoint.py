"""`@endpoint(...)`: a route's one declaration, enforced on every request. Put it right under the
route decorator:

    @bp.get("/calls")
    @endpoint(auth=SIGNED_IN, query=CallsQuery, responses={200: ok(CallsPage)})
    def list_calls(query: CallsQuery) -> ResponseReturnValue: ...

Each request meets the caller check first (401/403), then the path values, the query string, the
declared headers and the JSON body are validated with their models (400 naming each bad field),
and the view is called with the parsed models as `query=`, `headers=` and `body=`. `/openapi.json`
is built from the same declaration (`api.openapi.builder`).

This is the only module of the API that reads the request's inputs (tests/api/openapi walks the
code to keep it so): a view cannot read a parameter its route does not declare, so the document
lists everything every route reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from pydantic import BaseModel

from api.http.access import Access
from api.http.declaration import DECLARATION_ATTRIBUTE, Endpoint, ResponseDoc
from api.http.errors import ApiError
from api.http.input_guards import NUL, contains_nul
from api.http.validation import VALIDATION_FAILED, validate

ViewT = TypeVar("ViewT", bound=Callable[..., Any])
QUERY_KEY = "navai_validated_query"  # on flask.g: the request's query as its model validated it
NOT_JSON = "Request body is not valid JSON"
NOT_AN_OBJECT = "Request body must be a JSON object"


def endpoint(*, auth: Access, responses: Mapping[int | str, ResponseDoc], summary: str | None = None,
             path: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             headers: type[BaseModel] | None = None,
             body: type[BaseModel] | None = None) -> Callable[[ViewT], ViewT]:
    """Declare a route: who may call it, its input models and its responses."""
    declaration = Endpoint(auth=auth, responses={str(status): doc for status, doc in responses.items()},
                           summary=summary, path=path, query=query, headers=headers, body=body)

    def decorator(view: ViewT) -> ViewT:
        _check_signature(view, declaration)

        @wraps(view)
        def enforced(**path_values: Any) -> Any:
            return view(**_arguments(declaration, path_values))

        setattr(enforced, DECLARATION_ATTRIBUTE, declaration)
        return enforced  # type: ignore[return-value]

    return decorator


def validated_query() -> BaseModel | None:
    """This request's query as its route's model validated it; None when the route declares none."""
    return g.get(QUERY_KEY)


def _arguments(declaration: Endpoint, path_values: dict[str, Any]) -> dict[str, Any]:
    """The view's keyword arguments, in the order the checks must run: caller, path, query,
    headers, body."""
    arguments: dict[str, Any] = {}
    credential = _authenticate(declaration.auth)
    if declaration.auth.passes_as:
        arguments[declaration.auth.passes_as] = credential
    arguments.update(_path_values(declaration.path, path_values))
    if declaration.query is not None:
        arguments["query"] = validate(declaration.query, _query_values())
        setattr(g, QUERY_KEY, arguments["query"])
    if declaration.headers is not None:
        arguments["headers"] = validate(declaration.headers, _header_values(declaration.headers))
    if declaration.body is not None:
        arguments["body"] = validate(declaration.body, _json_object())
    return arguments


def _authenticate(access: Access) -> object:
    if access.verify is None:
        return None
    return access.verify(request.headers.get(access.header, "") if access.header else "")


def _path_values(model: type[BaseModel] | None, values: dict[str, Any]) -> dict[str, Any]:
    """The URL's values (already converted by their converters), through the path model if any."""
    return values if model is None else dict(validate(model, values))


def _query_values() -> dict[str, str]:
    """The first value of each query parameter; a NUL byte anywhere is refused (PostgreSQL
    refuses NUL in text, which would make it a 500)."""
    for key, value in request.args.items(multi=True):
        if NUL in key or NUL in value:
            raise ApiError(400, VALIDATION_FAILED, {key.replace(NUL, ""): "must not contain a NUL byte"})
    return request.args.to_dict()


def _header_values(model: type[BaseModel]) -> dict[str, str]:
    """Only the headers the model declares (by their HTTP spelling: the field's alias)."""
    names = [field.alias or name for name, field in model.model_fields.items()]
    return {name: request.headers[name] for name in names if name in request.headers}


def _json_object() -> dict[str, Any]:
    """The JSON body as an object; an empty body counts as `{}`."""
    payload = request.get_json(silent=True)
    if payload is None:
        if request.get_data(cache=True).strip():
            raise ApiError(400, NOT_JSON)
        payload = {}
    if not isinstance(payload, dict):
        raise ApiError(400, NOT_AN_OBJECT)
    if contains_nul(payload):
        raise ApiError(400, VALIDATION_FAILED, {"body": "strings must not contain a NUL byte"})
    return payload


def _check_signature(view: Callable[..., Any], declaration: Endpoint) -> None:
    """Fail at import, not at the first request, when the view and its declaration disagree."""
    accepted = set(inspect.signature(view).parameters)
    expected = set(declaration.input_models) | ({declaration.auth.passes_as} - {None})
    if expected - accepted:
        raise TypeError(f"{view.__qualname__} must accept {sorted(expected - accepted)}: its @endpoint declares them")
    undeclared = accepted & ({"query", "headers", "body"} - set(declaration.input_models))
    if undeclared:
        raise TypeError(f"{view.__qualname__} takes {sorted(undeclared)} but its @endpoint declares no such model")
