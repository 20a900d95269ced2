"""Which Sipuni account an organization may use: the one rule shared by the API and the workers.

An organization's own account (`organizations.sipuni_user` / `sipuni_secret`) always wins. The
deployment's account (`SIPUNI_USER` / `SIPUNI_SECRET`) stands in only while the organization is the
deployment's only one: a second tenant must never fetch the first one's calls and recordings.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import Organization
from shared.settings import Settings


@dataclass(frozen=True)
class SipuniAccount:
    user: str
    secret: str


class UnknownOrganization(LookupError):
    """No organization has this id."""


class AccountMissing(LookupError):
    """The organization has no Sipuni account of its own, and may not use the deployment's."""

    def __init__(self, organization_id: int) -> None:
        super().__init__(
            f"Organization {organization_id} has no Sipuni account of its own (sipuni_user/sipuni_secret), "
            "and the deployment's account (SIPUNI_USER/SIPUNI_SECRET) serves only a deployment with a single "
            "organization. Set the organization's own Sipuni account.")
        self.organization_id = organization_id


def resolve_account(session: Session, organization_id: int, settings: Settings) -> SipuniAccount:
    """The account `organization_id` syncs with, or `AccountMissing` / `UnknownOrganization`."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise UnknownOrganization(f"organization {organization_id} does not exist")
    if organization.sipuni_user and organization.sipuni_secret:
        return SipuniAccount(organization.sipuni_user, organization.sipuni_secret)
    deployment_has_one = bool(settings.sipuni_user and settings.sipuni_secret)
    if deployment_has_one and _only_organization(session, organization_id):
        return SipuniAccount(settings.sipuni_user, settings.sipuni_secret)
    raise AccountMissing(organization_id)


def _only_organization(session: Session, organization_id: int) -> bool:
    others = session.scalar(select(func.count()).select_from(Organization).where(Organization.id != organization_id))
    return not others
