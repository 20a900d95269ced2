"""Criteria and scoring mode of an organization: the rules shared by the API and the CLI."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.models import MAX_SCORE_BY_MODE, Criterion, Organization, ScoringMode

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000
MAX_WEIGHT = 1000.0


class CriterionConflict(Exception):
    """An active criterion of the organization already has this name, or it has MAX_CRITERIA."""


class CriterionFields(BaseModel):
    """A criterion as given by an admin; all fields optional for a PATCH."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME_LENGTH)
    weight: float | None = Field(None, gt=0, le=MAX_WEIGHT, allow_inf_nan=False)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)


class NewCriterion(CriterionFields):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    weight: float = Field(1.0, gt=0, le=MAX_WEIGHT, allow_inf_nan=False)


class ScoringModeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scoringMode: ScoringMode  # noqa: N815 - the API's JSON is camelCase

    @field_validator("scoringMode", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def criterion_as_dict(criterion: Criterion) -> dict[str, object]:
    return {"id": criterion.id, "organizationId": criterion.organization_id, "name": criterion.name,
            "weight": criterion.weight, "description": criterion.description, "isActive": criterion.is_active}


def active_criteria(session: Session, organization_id: int) -> list[Criterion]:
    return list(session.scalars(select(Criterion).where(
        Criterion.organization_id == organization_id, Criterion.is_active.is_(True)).order_by(Criterion.id)))


def find_active(session: Session, organization_id: int, criterion_id: int) -> Criterion | None:
    criterion = session.get(Criterion, criterion_id)
    if criterion is None or criterion.organization_id != organization_id or not criterion.is_active:
        return None
    return criterion


def create_criterion(session: Session, organization_id: int, fields: NewCriterion, max_active: int) -> Criterion:
    """Add a criterion; every active one goes into each call's prompt, hence `max_active`."""
    _check_room(session, organization_id, max_active)
    _check_name_free(session, organization_id, fields.name)
    criterion = Criterion(organization_id=organization_id, name=fields.name, weight=fields.weight,
                          description=fields.description or None)
    session.add(criterion)
    session.flush()
    return criterion


def update_criterion(session: Session, criterion: Criterion, fields: CriterionFields) -> Criterion:
    if fields.name is not None and fields.name.lower() != criterion.name.lower():
        _check_name_free(session, criterion.organization_id, fields.name)
        criterion.name = fields.name
    if fields.weight is not None:
        criterion.weight = fields.weight
    if "description" in fields.model_fields_set:
        criterion.description = fields.description or None
    session.flush()
    return criterion


def archive_criterion(criterion: Criterion) -> None:
    """Archived, not deleted: scores of calls analysed earlier keep pointing at it."""
    criterion.is_active = False


def set_scoring_mode(organization: Organization, mode: ScoringMode) -> None:
    organization.scoring_mode = mode.value


def max_score(organization: Organization) -> int:
    return MAX_SCORE_BY_MODE.get(organization.scoring_mode, MAX_SCORE_BY_MODE[ScoringMode.TEN.value])


def _check_room(session: Session, organization_id: int, max_active: int) -> None:
    # Lock the organization's row: two admins adding the last criterion at once cannot both pass.
    session.get(Organization, organization_id, with_for_update=True)
    active = session.scalar(select(func.count()).select_from(Criterion).where(
        Criterion.organization_id == organization_id, Criterion.is_active.is_(True))) or 0
    if active >= max_active:
        raise CriterionConflict(f"the organization already has {active} active criteria, the most allowed "
                                f"(MAX_CRITERIA={max_active}); archive one first")


def _check_name_free(session: Session, organization_id: int, name: str) -> None:
    taken = session.scalar(select(Criterion.id).where(
        Criterion.organization_id == organization_id, Criterion.is_active.is_(True),
        func.lower(Criterion.name) == name.lower()))
    if taken is not None:
        raise CriterionConflict(f"criterion {name!r} already exists (id {taken})")
