"""`GET /settings` and `PATCH /settings`: an organization's Sipuni account, sync schedule, time
zone, scoring mode and analysis language (ADMIN: their own organization; SUPERADMIN:
`?organizationId=N`).

The Sipuni secret is write-only: reads say `sipuniSecretSet: true|false`, never the secret.
A changed schedule or time zone gets its next due time at once, so beat picks it up at its next
tick, without a restart. A schedule that never comes due (`0 0 30 2 *`: February 30th) is
refused when it is set, like one that does not parse (400); one whose due times come closer than
SYNC_MIN_INTERVAL_S is refused with 409 and the reason (`api.organizations.schedule_interval`).
A PATCH that gives the organization a new Sipuni user or secret saves it, then tests it
(`api.sipuni.connection`) and says the outcome in `sipuniConnection` (`{success, message, reason}`).
The organization's own HEMIS (URL, write-only token, schedule, and `hemisConnection` after a change)
is `api.organizations.hemis_settings`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from api.auth.access import ADMIN
from api.auth.roles import OrganizationQuery, current_organization_id
from api.hemis.check import HemisCheckResult
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import Succeeded, ok
from api.organizations.hemis_settings import (
    HemisSettingsFields,
    apply_hemis_settings,
    check_new_instance,
    hemis_settings_view,
    new_hemis_instance,
)
from api.organizations.schedule_rules import next_due, refuse_too_frequent
from api.sipuni.connection import ConnectionResult, check_account
from shared.ai.languages import AnalysisLanguage, analysis_language
from shared.db import session_scope
from shared.models import Organization, ScoringMode
from shared.schedules import cron_problem, time_zone_problem
from shared.sipuni.account import SipuniAccount

bp = Blueprint("org_settings", __name__)

SIPUNI_USER_PATTERN = r"^\d{1,32}$"  # an account number, kept as text: leading zeros matter


class OrganizationSettings(HemisSettingsFields):
    """The settable fields of an organization (all optional: PATCH changes what it names)."""

    model_config = ConfigDict(extra="forbid")

    sipuniUser: str | None = Field(None, pattern=SIPUNI_USER_PATTERN)  # noqa: N815
    sipuniSecret: str | None = Field(None, min_length=1, max_length=200)  # noqa: N815
    syncSchedule: str | None = Field(None, max_length=100)  # noqa: N815
    timeZone: str | None = Field(None, max_length=64)  # noqa: N815
    scoringMode: ScoringMode | None = None  # noqa: N815
    analysisLanguage: AnalysisLanguage | None = None  # noqa: N815 - null: follow STT_LANGUAGE

    @field_validator("syncSchedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        problem = cron_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("timeZone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        problem = time_zone_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class SettingsView(Succeeded):
    organizationId: int  # noqa: N815 - the API's JSON is camelCase
    sipuniUser: str | None  # noqa: N815
    sipuniSecretSet: bool  # noqa: N815 - the secret itself is never shown
    syncSchedule: str | None  # noqa: N815
    timeZone: str  # noqa: N815
    scoringMode: str  # noqa: N815
    nextScheduledSync: str | None  # noqa: N815 - ISO 8601, UTC
    analysisLanguage: AnalysisLanguage  # noqa: N815 - the organization's, or STT_LANGUAGE's
    sipuniConnection: ConnectionResult | None = None  # noqa: N815 - PATCH with a new Sipuni account only
    hemisUrl: str | None  # noqa: N815
    hemisTokenSet: bool  # noqa: N815 - the token itself is never shown
    hemisSyncSchedule: str | None  # noqa: N815
    nextHemisSync: str | None  # noqa: N815 - ISO 8601, UTC
    hemisConnection: HemisCheckResult | None = None  # noqa: N815 - PATCH with a new HEMIS only


def organization_settings(organization: Organization) -> dict[str, Any]:
    due = organization.next_scheduled_sync_at
    return {"organizationId": organization.id, "sipuniUser": organization.sipuni_user,
            "sipuniSecretSet": bool(organization.sipuni_secret), "syncSchedule": organization.sync_schedule,
            "timeZone": organization.time_zone, "scoringMode": organization.scoring_mode,
            "nextScheduledSync": due.isoformat() if due else None,
            "analysisLanguage": analysis_language(organization.analysis_language,
                                                  services().settings.stt_language),
            **hemis_settings_view(organization)}


def apply_settings(organization: Organization, body: OrganizationSettings) -> None:
    """Write the fields `body` names; null clears the account or the schedule."""
    changes = body.model_dump(exclude_unset=True)
    if "timeZone" in changes:
        if body.timeZone is None:
            raise ApiError(400, "timeZone cannot be null", {"timeZone": "an IANA name, e.g. 'UTC'"})
        organization.time_zone = body.timeZone
    if "scoringMode" in changes:
        if body.scoringMode is None:
            raise ApiError(400, "scoringMode cannot be null", {"scoringMode": "TEN or HUNDRED"})
        organization.scoring_mode = body.scoringMode.value
    if "sipuniUser" in changes:
        organization.sipuni_user = body.sipuniUser
    if "sipuniSecret" in changes:
        organization.sipuni_secret = body.sipuniSecret
    if "syncSchedule" in changes:
        if body.syncSchedule:
            refuse_too_frequent(body.syncSchedule, "syncSchedule")
        organization.sync_schedule = body.syncSchedule
    if "analysisLanguage" in changes:
        organization.analysis_language = body.analysisLanguage
    if "syncSchedule" in changes or "timeZone" in changes:
        reschedule(organization)
    apply_hemis_settings(organization, body, zone_changed="timeZone" in changes)


def reschedule(organization: Organization) -> None:
    """The next due time of the organization's call-sync schedule from now (None without one)."""
    organization.next_scheduled_sync_at = next_due(organization.sync_schedule, organization.time_zone,
                                                   "syncSchedule")


@bp.get("/settings")
@endpoint(auth=ADMIN, query=OrganizationQuery, responses={200: ok(SettingsView)})
def get_settings(query: OrganizationQuery) -> ResponseReturnValue:
    """The organization's Sipuni account (never the secret), sync schedule, time zone, scoring mode."""
    with session_scope(services().session_factory) as session:
        organization = _organization(session)
        return jsonify({"success": True, **organization_settings(organization)})


@bp.patch("/settings")
@endpoint(auth=ADMIN, query=OrganizationQuery, body=OrganizationSettings, responses={200: ok(SettingsView)})
def patch_settings(query: OrganizationQuery, body: OrganizationSettings) -> ResponseReturnValue:
    """Change the fields the body names; null clears the Sipuni account or the schedule."""
    with session_scope(services().session_factory) as session:
        organization = _organization(session)
        apply_settings(organization, body)
        session.flush()
        answer = {"success": True, **organization_settings(organization)}
        account = _new_sipuni_account(organization, body)
        hemis = new_hemis_instance(organization, body)
    if account is not None:  # tested once saved, outside the transaction: the account is kept either way
        answer["sipuniConnection"] = check_account(answer["organizationId"], account).as_json()
    if hemis is not None:  # likewise
        answer["hemisConnection"] = check_new_instance(hemis)
    return jsonify(answer)


def _new_sipuni_account(organization: Organization, body: OrganizationSettings) -> SipuniAccount | None:
    """The organization's own account when this PATCH gave it a new user or secret, and it has both."""
    if {"sipuniUser", "sipuniSecret"} & body.model_fields_set and organization.sipuni_user \
            and organization.sipuni_secret:
        return SipuniAccount(organization.sipuni_user, organization.sipuni_secret)
    return None


def _organization(session: Session) -> Organization:
    organization_id = current_organization_id()
    organization = session.get(Organization, organization_id, with_for_update=True)
    if organization is None:
        raise ApiError(404, f"Organization {organization_id} not found")
    return organization
