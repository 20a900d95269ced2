"""`GET /api/hemis/check` (ADMIN; SUPERADMIN with `?organizationId=N`): does the organization's
HEMIS (`api.hemis.tenant`) take its token?

One cheap request (`shared.hemis.probe`: `student-list`, one item), answered `200 {success,
message, reason, studentCount, rateLimit}` whatever HEMIS said: `reason` is `ok`, `unauthorized`,
`unreachable`, `not_hemis` or `rate_limited`; `studentCount` is HEMIS's totalCount (every status,
each enrolment); `rateLimit` is what its `X-Rate-Limit-*` headers said. An organization without a
HEMIS gets what a sync trigger gets (503 or 409). The token never appears in an answer or a log line.
`PATCH /settings` with a new HEMIS runs the same check (`check_token`).
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from api.auth.access import ADMIN
from api.auth.roles import OrganizationScope
from api.http.endpoint import endpoint
from api.hemis.tenant import organization_instance
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
@endpoint(auth=ADMIN, query=OrganizationScope,
          responses={200: ok(HemisCheckResult, "The check ran: see success and reason")})
def check(query: OrganizationScope) -> ResponseReturnValue:
    """Check the organization's HEMIS URL and token with one request."""
    instance = organization_instance()
    result = check_token(instance.url, instance.token, services().settings.hemis_ca_bundle or True)
    return jsonify(result.as_json())


def check_token(url: str, token: str, verify: bool | str = True) -> HemisProbeResult:
    """Probe the HEMIS at `url` with `token` and log the outcome (never the token)."""
    result = probe_hemis(url, token, verify=verify)
    log.log(logging.INFO if result.success else logging.WARNING, "HEMIS token check: %s: %s",
            result.reason.value, result.message)
    return result
