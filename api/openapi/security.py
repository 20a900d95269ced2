"""The API's security schemes, and an operation's `security` read from its route's `auth=`."""

from __future__ import annotations

from api.http.access import Access

BEARER = "bearerAuth"
WEBHOOK_KEY = "webhookKey"
METRICS_TOKEN = "metricsToken"
SECURITY_SCHEMES = {
    BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
             "description": "The access_token from POST /auth/login."},
    WEBHOOK_KEY: {"type": "apiKey", "in": "header", "name": "X-API-Key",
                  "description": "WEBHOOK_API_KEY, or the organization's own key "
                                 "(`flask --app api orgs webhook-key --organization-id N`)."},
    METRICS_TOKEN: {"type": "http", "scheme": "bearer",
                    "description": "METRICS_TOKEN, needed only when the deployment sets it."},
}


def security_requirement(access: Access) -> list[dict[str, list[str]]]:
    """`[]` for a public route; a scheme needed only when configured also allows none (`{}`)."""
    if access.scheme is None:
        return []
    requirement: list[dict[str, list[str]]] = [{access.scheme: []}]
    return [*requirement, {}] if access.optional else requirement
