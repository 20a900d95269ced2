"""`POST /sipuni/test-connection` (ADMIN: their own organization; SUPERADMIN: `?organizationId=N`).

One cheap signed request with the account the organization syncs with (`shared.sipuni.probe`),
answered `200 {success, message, reason}` whatever Sipuni said: `reason` is `ok`,
`wrong_credentials`, `unreachable`, `rate_limited` or `unexpected`. An organization without an
account it may use is 409, like a sync trigger. `PATCH /settings` runs the same test on a new
account (`check_account`). The secret never appears in an answer or a log line.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api.auth.access import ADMIN
from api.auth.roles import OrganizationQuery, current_organization_id
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import Open, ok
from shared.db import session_scope
from shared.sipuni.account import AccountMissing, SipuniAccount, UnknownOrganization, resolve_account
from shared.sipuni.probe import ProbeReason, ProbeResult, probe_account

log = logging.getLogger(__name__)
bp = Blueprint("sipuni_connection", __name__)


class ConnectionResult(Open):
    success: bool
    message: str
    reason: ProbeReason


@bp.post("/sipuni/test-connection")
@endpoint(auth=ADMIN, query=OrganizationQuery, responses={200: ok(ConnectionResult, "The test ran: see success")})
def connection_test(query: OrganizationQuery) -> ResponseReturnValue:
    """Test the organization's Sipuni account with one signed request."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        try:
            account = resolve_account(session, organization_id, services().settings)
        except UnknownOrganization as exc:
            raise ApiError(404, f"Organization {organization_id} not found") from exc
        except AccountMissing as exc:
            raise ApiError(409, str(exc), {"account": f"sipuni account of organization {organization_id}"},
                           extra={"missingAccount": "sipuni", "organizationId": organization_id}) from exc
    # Outside the transaction: no connection is held while Sipuni takes its time.
    return jsonify(check_account(organization_id, account).as_json())


def check_account(organization_id: int, account: SipuniAccount) -> ProbeResult:
    """Probe `account` for `organization_id`, and log the outcome (never the secret)."""
    result = probe_account(services().settings.sipuni_api_url, account)
    log.log(logging.INFO if result.success else logging.WARNING,
            "Sipuni connection test of organization %s (account %s): %s: %s",
            organization_id, account.user, result.reason.value, result.message)
    return result
