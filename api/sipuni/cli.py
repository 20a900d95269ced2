"""`flask --app api sipuni step1|step2 --organization-id N [--from --to] [--limit] [--watch]`."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup
from pydantic import ValidationError

from api.http.services import services
from api.http.validation import ModelT, field_errors
from api.runs.cli import CLI_TRIGGER, WATCH_HELP, refused, report_started
from api.sipuni.routes import DateWindow, Step1Query
from shared.db import session_scope
from shared.sipuni.account import AccountMissing, UnknownOrganization, resolve_account
from shared.sipuni.names import csv_key
from shared.sipuni.start import ExportWindow, RunInProgress, start_step1, start_step2

sipuni_cli = AppGroup("sipuni", help="Sipuni step 1 (CSV export) and step 2 (recordings).")


def _window_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options step 1 and step 2 share: the organization and the date window."""
    command = click.option("--to", "date_to", default=None, help="Last day, DD.MM.YYYY.")(command)
    command = click.option("--from", "date_from", default=None, help="First day, DD.MM.YYYY.")(command)
    return click.option("--organization-id", type=int, required=True)(command)


def _validated(model: type[ModelT], **values: object) -> ModelT:
    try:
        return model.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise click.UsageError("; ".join(f"--{field}: {message}" for field, message in field_errors(exc).items()))


@sipuni_cli.command("step1")
@_window_options
@click.option("--limit", type=int, default=None, help="Most recent calls to export (default 500).")
@click.option("--watch", is_flag=True, help=WATCH_HELP)
def step1(organization_id: int, date_from: str | None, date_to: str | None, limit: int | None, watch: bool) -> None:
    """Export the organization's call log from Sipuni to its CSV."""
    query = _validated(Step1Query, **{"from": date_from, "to": date_to, "limit": limit})
    _require_organization(organization_id)
    try:
        run_id, task_id = start_step1(services(), organization_id, CLI_TRIGGER, query.limit,
                                      ExportWindow(query.date_from, query.date_to))
    except RunInProgress as exc:
        refused(str(exc), exc.run_id)
    report_started(run_id, task_id, watch)


@sipuni_cli.command("step2")
@_window_options
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most this many calls of the window (default: every call of the CSV in the window).")
@click.option("--watch", is_flag=True, help=WATCH_HELP)
def step2(organization_id: int, date_from: str | None, date_to: str | None, limit: int | None, watch: bool) -> None:
    """Download the recordings of the CSV's calls and store the calls."""
    window = _validated(DateWindow, **{"from": date_from, "to": date_to})
    _require_organization(organization_id)
    if services().storage.size(csv_key(organization_id)) is None:
        raise click.ClickException("CSV file not found. Please run Step 1 first.")
    try:
        run_id, task_id = start_step2(services(), organization_id, CLI_TRIGGER,
                                      ExportWindow(window.date_from, window.date_to), limit)
    except RunInProgress as exc:
        refused(str(exc), exc.run_id)
    report_started(run_id, task_id, watch)


def _require_organization(organization_id: int) -> None:
    """The organization exists and may use a Sipuni account (the same rule as the HTTP triggers)."""
    with session_scope(services().session_factory) as session:
        try:
            resolve_account(session, organization_id, services().settings)
        except UnknownOrganization as exc:
            raise click.UsageError(f"Organization {organization_id} not found") from exc
        except AccountMissing as exc:
            refused(str(exc))
