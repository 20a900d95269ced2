"""Scoring criteria of the caller's organization, and its scoring mode (max 10 or 100).

`GET /criteria` (any role), `POST /criteria`, `PATCH /criteria/<id>`, `DELETE /criteria/<id>`,
`PUT /criteria/scoring-mode` (admins). Criteria take effect on calls analysed from then on.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import jwt_required
from sqlalchemy.orm import Session

from api.criteria_store import (
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
from api.errors import ApiError
from api.openapi import documented
from api.openapi.common import Succeeded, ok
from api.roles import admin_required, current_organization_id
from api.services import services
from api.validation import parse_json
from shared.db import session_scope
from shared.models import Criterion, Organization

bp = Blueprint("criteria", __name__, url_prefix="/criteria")


class CriteriaList(Succeeded):
    scoringMode: str  # noqa: N815
    maxScore: int  # noqa: N815
    criteria: list[dict[str, Any]]


class OneCriterion(Succeeded):
    criterion: dict[str, Any]


class ScoringModeResponse(Succeeded):
    scoringMode: str  # noqa: N815
    maxScore: int  # noqa: N815


@bp.get("")
@documented(responses={200: ok(CriteriaList)})
@jwt_required()
def list_criteria() -> ResponseReturnValue:
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        organization = _organization(session, organization_id)
        return jsonify({"success": True, "scoringMode": organization.scoring_mode, "maxScore": max_score(organization),
                        "criteria": [criterion_as_dict(c) for c in active_criteria(session, organization_id)]})


@bp.post("")
@documented(body=NewCriterion, responses={201: ok(OneCriterion, "Created")})
@admin_required
def create() -> ResponseReturnValue:
    fields = parse_json(NewCriterion)
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        _organization(session, organization_id)
        try:
            criterion = create_criterion(session, organization_id, fields, services().settings.max_criteria)
        except CriterionConflict as exc:
            raise ApiError(409, str(exc)) from exc
        return jsonify({"success": True, "criterion": criterion_as_dict(criterion)}), 201


@bp.patch("/<int:criterion_id>")
@documented(body=CriterionFields, responses={200: ok(OneCriterion)})
@admin_required
def update(criterion_id: int) -> ResponseReturnValue:
    fields = parse_json(CriterionFields)
    with session_scope(services().session_factory) as session:
        criterion = _criterion(session, criterion_id)
        try:
            update_criterion(session, criterion, fields)
        except CriterionConflict as exc:
            raise ApiError(409, str(exc)) from exc
        return jsonify({"success": True, "criterion": criterion_as_dict(criterion)})


@bp.delete("/<int:criterion_id>")
@documented(responses={200: ok(Succeeded, "Archived")})
@admin_required
def delete(criterion_id: int) -> ResponseReturnValue:
    with session_scope(services().session_factory) as session:
        archive_criterion(_criterion(session, criterion_id))
    return jsonify({"success": True, "archived": criterion_id})


@bp.put("/scoring-mode")
@documented(body=ScoringModeBody, responses={200: ok(ScoringModeResponse)})
@admin_required
def scoring_mode() -> ResponseReturnValue:
    body = parse_json(ScoringModeBody)
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
