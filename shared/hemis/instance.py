"""Which HEMIS an organization syncs with: the one rule shared by the API, beat and the workers.

Each university has its own HEMIS (its own host, backend token and rate limit). An organization's
own `hemis_url` / `hemis_token` always win. The deployment's `HEMIS_API_URL` / `HEMIS_BEARER_TOKEN`
stand in only while the organization is the deployment's only one, as the Sipuni account does
(`shared.sipuni.account`): a second tenant must never read the first one's students.

The rate budget of an instance is keyed by its host (`budget_name`): HEMIS counts per token, and
two organizations on one host share its limiter in practice (one installation serving both), so
they share one budget rather than each believing it has the whole allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from shared.models import Organization
from shared.settings import Settings

BUDGET_PREFIX = "hemis:"


@dataclass(frozen=True)
class HemisInstance:
    organization_id: int
    url: str
    token: str
    own: bool  # the organization's own HEMIS (False: the deployment's, for its only organization)

    @property
    def host(self) -> str:
        return host_of(self.url)

    @property
    def budget_name(self) -> str:
        """The shared request budget's name: one per HEMIS host."""
        return f"{BUDGET_PREFIX}{self.host}"

    def __repr__(self) -> str:  # never the token, in a log line or a traceback
        return f"HemisInstance(organization_id={self.organization_id}, url={self.url!r}, own={self.own})"


class UnknownOrganization(LookupError):
    """No organization has this id."""


class InstanceMissing(LookupError):
    """The organization has no HEMIS of its own, and may not use the deployment's."""

    def __init__(self, organization_id: int) -> None:
        super().__init__(
            f"Organization {organization_id} has no HEMIS of its own (hemisUrl and hemisToken in PATCH /settings), "
            "and the deployment's HEMIS (HEMIS_API_URL/HEMIS_BEARER_TOKEN) serves only a deployment with a single "
            "organization. Set the organization's own HEMIS.")
        self.organization_id = organization_id


def host_of(url: str) -> str:
    """`student.example.uz:8443` of a URL, lower case (what a budget is keyed by)."""
    parts = urlsplit(url.strip())
    return (parts.netloc or parts.path.split("/")[0]).lower()


def resolve_instance(db: Session | Connection, organization_id: int, settings: Settings) -> HemisInstance:
    """The HEMIS `organization_id` syncs with, or `InstanceMissing` / `UnknownOrganization`.
    One statement (a page task asks at every page): the organization's own URL and token, and
    whether it is the deployment's only organization."""
    row = db.execute(_INSTANCE_OF, {"organization_id": organization_id}).first()
    if row is None:
        raise UnknownOrganization(f"organization {organization_id} does not exist")
    if row.hemis_url and row.hemis_token:
        return HemisInstance(organization_id, row.hemis_url, row.hemis_token, own=True)
    deployment_has_one = bool(settings.hemis_api_url and settings.hemis_bearer_token)
    if deployment_has_one and row.others == 0:
        return HemisInstance(organization_id, settings.hemis_api_url, settings.hemis_bearer_token, own=False)
    raise InstanceMissing(organization_id)


_OTHERS = aliased(Organization)
_INSTANCE_OF = (
    select(Organization.hemis_url, Organization.hemis_token,
           select(func.count()).select_from(_OTHERS).where(_OTHERS.id != Organization.id)
           .scalar_subquery().label("others"))
    .where(Organization.id == bindparam("organization_id")))


def organizations_with_hemis(session: Session, settings: Settings) -> list[int]:
    """Every organization that has a HEMIS to sync (its own, or the deployment's as its only one)."""
    own = select(Organization.id).where(Organization.hemis_url.is_not(None), Organization.hemis_token.is_not(None),
                                        Organization.hemis_url != "", Organization.hemis_token != "")
    ids = set(session.scalars(own))
    if settings.hemis_api_url and settings.hemis_bearer_token:
        every = list(session.scalars(select(Organization.id).limit(2)))
        if len(every) == 1:
            ids.add(every[0])
    return sorted(ids)
