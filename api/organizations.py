"""`GET /organizations`, `POST /organizations` (SUPERADMIN), `GET /organizations/<id>`.

A SUPERADMIN sees every organization; anyone else sees only their own (another one is 404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import get_current_user, jwt_required
from pydantic import Field
from sqlalchemy import select

from api.errors import ApiError
from api.org_settings import OrganizationSettings, apply_settings, organization_settings
from api.roles import current_role, roles_required
from api.services import services
from api.validation import parse_json
from shared.db import session_scope
from shared.models import DEFAULT_TIME_ZONE, Organization, Role

bp = Blueprint("organizations", __name__, url_prefix="/organizations")


class NewOrganization(OrganizationSettings):
    name: str = Field(min_length=1, max_length=200)


def organization_as_dict(organization: Organization) -> dict[str, Any]:
    settings = organization_settings(organization)
    settings.pop("organizationId")
    return {"id": organization.id, "name": organization.name, **settings,
            "createdAt": organization.created_at.isoformat() if organization.created_at else None}


@bp.get("")
@jwt_required()
def list_organizations() -> ResponseReturnValue:
    statement = select(Organization).order_by(Organization.id)
    if current_role() != Role.SUPERADMIN.value:
        statement = statement.where(Organization.id == get_current_user().organization_id)
    with session_scope(services().session_factory) as session:
        organizations = [organization_as_dict(org) for org in session.scalars(statement)]
    return jsonify({"success": True, "organizations": organizations})


@bp.post("")
@roles_required(Role.SUPERADMIN.value)
def create_organization() -> ResponseReturnValue:
    body = parse_json(NewOrganization)
    if bool(body.sipuniUser) != bool(body.sipuniSecret):
        raise ApiError(400, "sipuniUser and sipuniSecret go together",
                       {"sipuniSecret": "give both or neither"})
    with session_scope(services().session_factory) as session:
        organization = Organization(name=body.name.strip(), time_zone=DEFAULT_TIME_ZONE, scoring_mode="TEN")
        apply_settings(organization, body)
        session.add(organization)
        session.flush()
        return jsonify({"success": True, "organization": organization_as_dict(organization)}), 201


@bp.get("/<int:organization_id>")
@jwt_required()
def get_organization(organization_id: int) -> ResponseReturnValue:
    if current_role() != Role.SUPERADMIN.value and get_current_user().organization_id != organization_id:
        raise ApiError(404, f"Organization {organization_id} not found")
    with session_scope(services().session_factory) as session:
        organization = session.get(Organization, organization_id)
        if organization is None:
            raise ApiError(404, f"Organization {organization_id} not found")
        return jsonify({"success": True, "organization": organization_as_dict(organization)})
