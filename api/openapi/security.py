"""Which security a view needs, read from its decorators: this project's `roles_required` marks
its wrapper; flask-jwt-extended's `jwt_required` is recognised by where its wrapper's code lives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.openapi.meta import RouteDoc, unwrap_chain
from api.roles import ROLES_ATTRIBUTE

BEARER = "bearerAuth"
WEBHOOK_KEY = "webhookKey"
SECURITY_SCHEMES = {
    BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
             "description": "The access_token from POST /auth/login."},
    WEBHOOK_KEY: {"type": "apiKey", "in": "header", "name": "X-API-Key",
                  "description": "WEBHOOK_API_KEY, or the organization's own key "
                                 "(`flask --app api orgs webhook-key --organization-id N`)."},
}
_JWT_DECORATOR_FILE = "flask_jwt_extended"


def security_of(view: Callable[..., Any], doc: RouteDoc) -> tuple[list[dict[str, list[str]]], tuple[str, ...]]:
    """The operation's `security` list, and the roles it allows (empty: any authenticated user)."""
    if doc.security is not None:
        return [{name: []} for name in doc.security], ()
    for function in unwrap_chain(view):
        roles = getattr(function, ROLES_ATTRIBUTE, None)
        if roles:
            return [{BEARER: []}], tuple(roles)
    if any(_JWT_DECORATOR_FILE in getattr(getattr(f, "__code__", None), "co_filename", "")
           for f in unwrap_chain(view)):
        return [{BEARER: []}], ()
    return [], ()
