"""`flask --app api criteria create|list|update|delete|scoring-mode`: manage scoring criteria."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from pydantic import ValidationError
from sqlalchemy import select

from api.criteria.store import (
    CriterionConflict,
    CriterionFields,
    NewCriterion,
    archive_criterion,
    create_criterion,
    find_active,
    set_scoring_mode,
    update_criterion,
)
from api.http.services import services
from api.http.validation import field_errors
from shared.db import session_scope
from shared.models import Criterion, Organization, ScoringMode

criteria_cli = AppGroup("criteria", help="Manage the scoring criteria of organizations.")


@criteria_cli.command("create")
@click.option("--organization-id", type=int, required=True)
@click.option("--name", required=True)
@click.option("--weight", type=float, default=1.0, show_default=True, help="How much it counts (> 0).")
@click.option("--description", default=None, help="What the model should look for.")
def create(organization_id: int, name: str, weight: float, description: str | None) -> None:
    """Create a criterion and print its id."""
    fields = _validated(NewCriterion, name=name, weight=weight, description=description)
    with session_scope(services().session_factory) as session:
        _require_organization(session, organization_id)
        try:
            click.echo(create_criterion(session, organization_id, fields, services().settings.max_criteria).id)
        except CriterionConflict as exc:
            raise click.ClickException(str(exc)) from exc


@criteria_cli.command("list")
@click.option("--organization-id", type=int, default=None)
@click.option("--all", "show_archived", is_flag=True, help="Include archived criteria.")
def list_criteria(organization_id: int | None, show_archived: bool) -> None:
    """List criteria: id, organization, name, weight, description."""
    query = select(Criterion).order_by(Criterion.organization_id, Criterion.id)
    if organization_id is not None:
        query = query.where(Criterion.organization_id == organization_id)
    if not show_archived:
        query = query.where(Criterion.is_active.is_(True))
    with session_scope(services().session_factory) as session:
        for c in session.scalars(query):
            state = "" if c.is_active else "\tarchived"
            click.echo(f"{c.id}\torg={c.organization_id}\t{c.name}\tweight={c.weight:g}\t{c.description or '-'}{state}")


@criteria_cli.command("update")
@click.option("--organization-id", type=int, required=True)
@click.option("--id", "criterion_id", type=int, required=True)
@click.option("--name", default=None)
@click.option("--weight", type=float, default=None)
@click.option("--description", default=None)
def update(organization_id: int, criterion_id: int, name: str | None, weight: float | None,
           description: str | None) -> None:
    """Change a criterion's name, weight or description."""
    given = {key: value for key, value in (("name", name), ("weight", weight), ("description", description))
             if value is not None}
    fields = _validated(CriterionFields, **given)
    with session_scope(services().session_factory) as session:
        try:
            update_criterion(session, _require_criterion(session, organization_id, criterion_id), fields)
        except CriterionConflict as exc:
            raise click.ClickException(str(exc)) from exc


@criteria_cli.command("delete")
@click.option("--organization-id", type=int, required=True)
@click.option("--id", "criterion_id", type=int, required=True)
def delete(organization_id: int, criterion_id: int) -> None:
    """Archive a criterion (earlier scores keep it)."""
    with session_scope(services().session_factory) as session:
        archive_criterion(_require_criterion(session, organization_id, criterion_id))


@criteria_cli.command("scoring-mode")
@click.option("--organization-id", type=int, required=True)
@click.option("--mode", type=click.Choice([m.value for m in ScoringMode], case_sensitive=False), required=True,
              help="TEN: scores 0..10; HUNDRED: 0..100.")
def scoring_mode(organization_id: int, mode: str) -> None:
    """Set the organization's scoring mode."""
    with session_scope(services().session_factory) as session:
        set_scoring_mode(_require_organization(session, organization_id), ScoringMode(mode.upper()))


def _validated(model, **values):  # type: ignore[no-untyped-def]
    try:
        return model(**values)
    except ValidationError as exc:
        problems = "; ".join(f"--{field}: {message}" for field, message in field_errors(exc).items())
        raise click.UsageError(problems) from exc


def _require_organization(session, organization_id: int) -> Organization:  # type: ignore[no-untyped-def]
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise click.UsageError(f"organization {organization_id} does not exist")
    return organization


def _require_criterion(session, organization_id: int, criterion_id: int) -> Criterion:  # type: ignore[no-untyped-def]
    criterion = find_active(session, organization_id, criterion_id)
    if criterion is None:
        raise click.UsageError(f"criterion {criterion_id} of organization {organization_id} does not exist")
    return criterion
