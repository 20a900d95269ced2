"""`GET /api/hemis/check` (ADMIN, SUPERADMIN): does the deployment's HEMIS take its token?

One cheap request (`shared.hemis.probe`: `student-list`, one item), answered `200 {success,
message, reason, studentCount, rateLimit}` whatever HEMIS said: `reason` is `ok`, `unauthorized`,
`unreachable`, `not_hemis` or `rate_limited`; `studentCount` is HEMIS's totalCount (every status,
each enrolment); `rateLimit` is what its `X-Rate-Limit-*` headers said. A deployment without
HEMIS_API_URL / HEMIS_BEARER_TOKEN is 503, like a sync trigger. The token never appears in an
answer or a log line.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from api.auth.access import ADMIN
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import Open, ok
from shared.hemis.probe import HemisProbeReason, HemisProbeResult, probe_hemis

log = logging.getLogger(__name__)
bp = Blueprint("hemis_check", __name__, url_prefix="/api/hemis")


class HemisRateLimit(BaseModel):
    limit: int | None
    remaining: int | None
    reset: int | None


class HemisCheckResult(Open):
    success: bool
    message: str
    reason: HemisProbeReason
    studentCount: int | None  # noqa: N815 - the API's JSON is camelCase
    rateLimit: HemisRateLimit | None  # noqa: N815


@bp.get("/check")
@endpoint(auth=ADMIN, responses={200: ok(HemisCheckResult, "The check ran: see success and reason")})
def check() -> ResponseReturnValue:
    """Check the deployment's HEMIS URL and token with one request."""
    settings = services().settings
    if not settings.hemis_api_url or not settings.hemis_bearer_token:
        raise ApiError(503, "HEMIS is not configured: set HEMIS_API_URL and HEMIS_BEARER_TOKEN")
    result = check_token(settings.hemis_api_url, settings.hemis_bearer_token, settings.hemis_ca_bundle or True)
    return jsonify(result.as_json())


def check_token(url: str, token: str, verify: bool | str = True) -> HemisProbeResult:
    """Probe the HEMIS at `url` with `token` and log the outcome (never the token)."""
    result = probe_hemis(url, token, verify=verify)
    log.log(logging.INFO if result.success else logging.WARNING, "HEMIS token check: %s: %s",
            result.reason.value, result.message)
    return result
