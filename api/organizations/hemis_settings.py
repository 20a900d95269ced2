"""An organization's own HEMIS in `GET /settings` and `PATCH /settings` (issue 20): `hemisUrl`,
`hemisToken` (write-only: reads say `hemisTokenSet`) and `hemisSyncSchedule` (a cron in the
organization's time zone; null: the deployment's `HEMIS_SYNC_CRON`, in UTC).

A PATCH that gives the organization a new URL or token saves it, then checks it with one request
(`api.hemis.check.check_token`) and says the outcome in `hemisConnection`. A schedule is checked as
the call-sync schedule is: it must parse and come due (400), and not more often than
SYNC_MIN_INTERVAL_S (409).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from api.hemis.check import check_token
from api.http.services import services
from api.organizations.schedule_rules import next_due, refuse_too_frequent
from shared.models import Organization
from shared.schedules import cron_problem

HEMIS_URL_MAX_LENGTH = 500  # organizations.hemis_url
HEMIS_TOKEN_MAX_LENGTH = 200  # organizations.hemis_token
HEMIS_TOKEN_PATTERN = r"^[\x21-\x7e]+$"  # printable ASCII, no space: it goes into an Authorization header
HEMIS_FIELDS = frozenset({"hemisUrl", "hemisToken", "hemisSyncSchedule"})


class HemisSettingsFields(BaseModel):
    """The HEMIS fields of the settings body (all optional: PATCH changes what it names)."""

    hemisUrl: str | None = Field(  # noqa: N815 - the API's JSON is camelCase
        None, max_length=HEMIS_URL_MAX_LENGTH, description="https://student.<university>.uz (or its /rest)")
    hemisToken: str | None = Field(  # noqa: N815
        None, min_length=1, max_length=HEMIS_TOKEN_MAX_LENGTH, pattern=HEMIS_TOKEN_PATTERN,
        description="the HEMIS backend API token; write-only")
    hemisSyncSchedule: str | None = Field(  # noqa: N815
        None, max_length=100, description="cron in the organization's time zone; null: HEMIS_SYNC_CRON (UTC)")

    @field_validator("hemisUrl")
    @classmethod
    def _hemis_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host, e.g. https://student.example.uz")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("must not carry credentials, a query or a fragment: the token goes in hemisToken")
        return value.rstrip("/")

    @field_validator("hemisSyncSchedule")
    @classmethod
    def _hemis_cron(cls, value: str | None) -> str | None:  # not `_cron`: a subclass has its own
        if value is None:
            return None
        value = " ".join(value.split())
        problem = cron_problem(value)
        if problem:
            raise ValueError(problem)
        return value


def hemis_settings_view(organization: Organization) -> dict[str, Any]:
    due = organization.next_hemis_sync_at
    return {"hemisUrl": organization.hemis_url, "hemisTokenSet": bool(organization.hemis_token),
            "hemisSyncSchedule": organization.hemis_sync_schedule,
            "nextHemisSync": due.isoformat() if due else None}


def apply_hemis_settings(organization: Organization, body: HemisSettingsFields, *, zone_changed: bool) -> None:
    """Write the HEMIS fields `body` names; null clears them."""
    changes = body.model_fields_set & HEMIS_FIELDS
    if "hemisUrl" in changes:
        organization.hemis_url = body.hemisUrl
    if "hemisToken" in changes:
        organization.hemis_token = body.hemisToken
    if "hemisSyncSchedule" in changes:
        if body.hemisSyncSchedule:
            refuse_too_frequent(body.hemisSyncSchedule, "hemisSyncSchedule")
        organization.hemis_sync_schedule = body.hemisSyncSchedule
    if "hemisSyncSchedule" in changes or zone_changed:
        organization.next_hemis_sync_at = next_due(organization.hemis_sync_schedule, organization.time_zone,
                                                   "hemisSyncSchedule")


def new_hemis_instance(organization: Organization, body: HemisSettingsFields) -> tuple[str, str] | None:
    """The organization's own URL and token when this PATCH changed either and it has both."""
    if {"hemisUrl", "hemisToken"} & body.model_fields_set and organization.hemis_url and organization.hemis_token:
        return organization.hemis_url, organization.hemis_token
    return None


def check_new_instance(instance: tuple[str, str]) -> dict[str, Any]:
    """`hemisConnection`: the token check of a newly set HEMIS (`GET /api/hemis/check`'s answer)."""
    url, token = instance
    return check_token(url, token, services().settings.hemis_ca_bundle or True).as_json()
