"""Scoring criteria of the caller's organization, and its scoring mode (max 10 or 100).

`GET /criteria` (any role), `POST /criteria`, `PATCH /criteria/<id>`, `DELETE /criteria/<id>`,
`PUT /criteria/scoring-mode` (admins). Criteria take effect on calls analysed from then on.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.auth.access import ADMIN, SIGNED_IN
from api.auth.roles import OrganizationQuery, current_organization_id
from api.criteria.store import (
    CriterionConflict,
    CriterionFields,
    NewCriterion,
    ScoringModeBody,
    active_criteria,
    archive_criterion,
    create_criterion,
    criterion_as_dict,
    find_active,
    max_score,
    set_scoring_mode,
    update_criterion,
)
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import Succeeded, ok
from shared.db import session_scope
from shared.models import Criterion, Organization

bp = Blueprint("criteria", __name__, url_prefix="/criteria")


class CriterionView(BaseModel):
    id: int
    organizationId: int  # noqa: N815 - the API's JSON is camelCase
    name: str
    weight: float
    description: str | None
    isActive: bool  # noqa: N815


class CriteriaList(Succeeded):
    scoringMode: str  # noqa: N815
    maxScore: int  # noqa: N815
    criteria: list[CriterionView]


class OneCriterion(Succeeded):
    criterion: CriterionView


class Archived(Succeeded):
    archived: int


class ScoringModeResponse(Succeeded):
    scoringMode: str  # noqa: N815
    maxScore: int  # noqa: N815


@bp.get("")
@endpoint(auth=SIGNED_IN, query=OrganizationQuery, responses={200: ok(CriteriaList)})
def list_criteria(query: OrganizationQuery) -> ResponseReturnValue:
    """The organization's active criteria and its scoring mode."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        organization = _organization(session, organization_id)
        return jsonify({"success": True, "scoringMode": organization.scoring_mode, "maxScore": max_score(organization),
                        "criteria": [criterion_as_dict(c) for c in active_criteria(session, organization_id)]})


@bp.post("")
@endpoint(auth=ADMIN, query=OrganizationQuery, body=NewCriterion, responses={201: ok(OneCriterion, "Created")})
def create(query: OrganizationQuery, body: NewCriterion) -> ResponseReturnValue:
    """Add a criterion (at most MAX_CRITERIA active ones)."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        _organization(session, organization_id)
        try:
            criterion = create_criterion(session, organization_id, body, services().settings.max_criteria)
        except CriterionConflict as exc:
            raise ApiError(409, str(exc)) from exc
        return jsonify({"success": True, "criterion": criterion_as_dict(criterion)}), 201


@bp.patch("/<int:criterion_id>")
@endpoint(auth=ADMIN, query=OrganizationQuery, body=CriterionFields, responses={200: ok(OneCriterion)})
def update(criterion_id: int, query: OrganizationQuery, body: CriterionFields) -> ResponseReturnValue:
    """Change a criterion's name, weight or description."""
    with session_scope(services().session_factory) as session:
        criterion = _criterion(session, criterion_id)
        try:
            update_criterion(session, criterion, body)
        except CriterionConflict as exc:
            raise ApiError(409, str(exc)) from exc
        return jsonify({"success": True, "criterion": criterion_as_dict(criterion)})


@bp.delete("/<int:criterion_id>")
@endpoint(auth=ADMIN, query=OrganizationQuery, responses={200: ok(Archived, "Archived")})
def delete(criterion_id: int, query: OrganizationQuery) -> ResponseReturnValue:
    """Archive a criterion: scores of calls analysed earlier keep it."""
    with session_scope(services().session_factory) as session:
        archive_criterion(_criterion(session, criterion_id))
    return jsonify({"success": True, "archived": criterion_id})


@bp.put("/scoring-mode")
@endpoint(auth=ADMIN, query=OrganizationQuery, body=ScoringModeBody, responses={200: ok(ScoringModeResponse)})
def scoring_mode(query: OrganizationQuery, body: ScoringModeBody) -> ResponseReturnValue:
    """Set the organization's scoring mode: TEN (0..10) or HUNDRED (0..100)."""
    with session_scope(services().session_factory) as session:
        organization = _organization(session, current_organization_id())
        set_scoring_mode(organization, body.scoringMode)
        return jsonify({"success": True, "scoringMode": organization.scoring_mode,
                        "maxScore": max_score(organization)})


def _organization(session: Session, organization_id: int) -> Organization:
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise ApiError(404, f"Organization {organization_id} not found")
    return organization


def _criterion(session: Session, criterion_id: int) -> Criterion:
    criterion = find_active(session, current_organization_id(), criterion_id)
    if criterion is None:  # another organization's criterion is as unknown as a missing one
        raise ApiError(404, f"Criterion {criterion_id} not found")
    return criterion
