"""The HEMIS a request acts on: the caller's organization's own (a SUPERADMIN names the organization
with `?organizationId=N`), by the rule of `shared.hemis.instance`.

Every HEMIS route takes its organization from here, so one organization never starts, watches,
cancels or checks another's HEMIS runs.
"""

from __future__ import annotations

from api.auth.roles import current_organization_id
from api.http.errors import ApiError
from api.http.services import services
from shared.hemis.instance import HemisInstance, InstanceMissing, UnknownOrganization, resolve_instance

NOT_CONFIGURED = ("HEMIS is not configured: set the organization's hemisUrl and hemisToken (PATCH /settings), "
                  "or HEMIS_API_URL and HEMIS_BEARER_TOKEN for a single-organization deployment")


def organization_instance() -> HemisInstance:
    """The HEMIS of the organization the request acts for. 503 when nothing is configured at all
    (as before HEMIS was per organization), 409 when the organization may not use the deployment's,
    404 for an organization that does not exist."""
    svc = services()
    organization_id = current_organization_id()
    try:
        with svc.session() as session:
            return resolve_instance(session, organization_id, svc.settings)
    except UnknownOrganization as exc:
        raise ApiError(404, f"Organization {organization_id} not found") from exc
    except InstanceMissing as exc:
        if not (svc.settings.hemis_api_url and svc.settings.hemis_bearer_token):
            raise ApiError(503, NOT_CONFIGURED) from exc
        raise ApiError(409, str(exc),
                       {"hemisUrl": "the organization needs its own HEMIS (hemisUrl and hemisToken)"}) from exc
