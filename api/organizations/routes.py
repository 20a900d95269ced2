"""`GET /organizations`, `POST /organizations` (SUPERADMIN), `GET /organizations/<id>`.

A SUPERADMIN sees every organization; anyone else sees only their own (another one is 404).
A new organization starts with the default criteria (`api.criteria.defaults`), in its analysis
language, unless the body says `"defaultCriteria": false`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import get_current_user
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.access import SIGNED_IN, SUPERADMIN
from api.auth.roles import current_role
from api.criteria.defaults import add_default_criteria
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import Succeeded, ok
from api.organizations.settings_routes import OrganizationSettings, apply_settings, organization_settings
from shared.ai.languages import AnalysisLanguage, analysis_language
from shared.db import session_scope
from shared.models import DEFAULT_TIME_ZONE, Organization, Role

bp = Blueprint("organizations", __name__, url_prefix="/organizations")


class NewOrganization(OrganizationSettings):
    name: str = Field(min_length=1, max_length=200)
    defaultCriteria: bool = Field(True, strict=True)  # noqa: N815 - false: start without criteria


class OrganizationView(BaseModel):
    id: int
    name: str
    sipuniUser: str | None  # noqa: N815 - the API's JSON is camelCase
    sipuniSecretSet: bool  # noqa: N815
    syncSchedule: str | None  # noqa: N815
    timeZone: str  # noqa: N815
    scoringMode: str  # noqa: N815
    nextScheduledSync: str | None  # noqa: N815
    analysisLanguage: AnalysisLanguage  # noqa: N815
    createdAt: str | None  # noqa: N815


class OrganizationList(Succeeded):
    organizations: list[OrganizationView]


class OneOrganization(Succeeded):
    organization: OrganizationView


class CreatedOrganization(OneOrganization):
    defaultCriteriaCreated: int  # noqa: N815 - how many default criteria it was given (0 when asked for none)


def organization_as_dict(organization: Organization) -> dict[str, Any]:
    settings = organization_settings(organization)
    settings.pop("organizationId")
    return {"id": organization.id, "name": organization.name, **settings,
            "createdAt": organization.created_at.isoformat() if organization.created_at else None}


@bp.get("")
@endpoint(auth=SIGNED_IN, responses={200: ok(OrganizationList)})
def list_organizations() -> ResponseReturnValue:
    """Every organization for a SUPERADMIN; anyone else's own."""
    statement = select(Organization).order_by(Organization.id)
    if current_role() != Role.SUPERADMIN.value:
        statement = statement.where(Organization.id == get_current_user().organization_id)
    with session_scope(services().session_factory) as session:
        organizations = [organization_as_dict(org) for org in session.scalars(statement)]
    return jsonify({"success": True, "organizations": organizations})


@bp.post("")
@endpoint(auth=SUPERADMIN, body=NewOrganization, responses={201: ok(CreatedOrganization, "Created")})
def create_organization(body: NewOrganization) -> ResponseReturnValue:
    """Create an organization, with its settings and (unless told not to) the default criteria."""
    if bool(body.sipuniUser) != bool(body.sipuniSecret):
        raise ApiError(400, "sipuniUser and sipuniSecret go together",
                       {"sipuniSecret": "give both or neither"})
    with session_scope(services().session_factory) as session:
        organization = Organization(name=body.name.strip(), time_zone=DEFAULT_TIME_ZONE, scoring_mode="TEN")
        apply_settings(organization, body)
        session.add(organization)
        session.flush()
        created = _give_default_criteria(session, organization) if body.defaultCriteria else 0
        return jsonify({"success": True, "organization": organization_as_dict(organization),
                        "defaultCriteriaCreated": created}), 201


def _give_default_criteria(session: Session, organization: Organization) -> int:
    """The default criteria, in the organization's analysis language; how many were created."""
    settings = services().settings
    language = analysis_language(organization.analysis_language, settings.stt_language)
    return len(add_default_criteria(session, organization.id, language, settings.max_criteria))


@bp.get("/<int:organization_id>")
@endpoint(auth=SIGNED_IN, responses={200: ok(OneOrganization)})
def get_organization(organization_id: int) -> ResponseReturnValue:
    """One organization (another one than the caller's is 404, but for a SUPERADMIN)."""
    if current_role() != Role.SUPERADMIN.value and get_current_user().organization_id != organization_id:
        raise ApiError(404, f"Organization {organization_id} not found")
    with session_scope(services().session_factory) as session:
        organization = session.get(Organization, organization_id)
        if organization is None:
            raise ApiError(404, f"Organization {organization_id} not found")
        return jsonify({"success": True, "organization": organization_as_dict(organization)})
