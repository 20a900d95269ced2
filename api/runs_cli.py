"""`flask --app api hemis|sipuni|runs ...`: start and follow runs from a shell, cron or CI.

The commands start runs through the same locked functions as the HTTP triggers
(`shared.hemis_runs`, `shared.sipuni_runs`): a run already going on is refused with exit code 2.
`--watch` follows the run with a progress bar and exits 0 when it ended `completed`, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import NoReturn

import click
from flask.cli import AppGroup
from pydantic import ValidationError

from api.run_watch import current_view, summary_line, watch_run
from api.services import services
from api.sipuni import DateWindow, Step1Query
from api.validation import ModelT, field_errors
from shared import sipuni_runs
from shared.db import session_scope
from shared.sipuni import csv_key
from shared.hemis_runs import HEMIS_KINDS, RunAlreadyRunning, StartedRun, start_full_run
from shared.sipuni_account import AccountMissing, UnknownOrganization, resolve_account
from shared.run_view import DEFAULT_FINISHED_SHOWN, MAX_RUNS_LISTED, list_runs, run_view

hemis_cli = AppGroup("hemis", help="HEMIS syncs.")
sipuni_cli = AppGroup("sipuni", help="Sipuni step 1 (CSV export) and step 2 (recordings).")
runs_cli = AppGroup("runs", help="List and follow sync runs.")

EXIT_REFUSED = 2
CLI_TRIGGER = "cli"
WATCH_HELP = "Show a live progress bar until the run ends; exit 0 if it completed, 1 otherwise."


def _refused(message: str, run_id: str | None = None) -> NoReturn:
    click.echo(f"Refused: {message}" + (f" (see `flask --app api runs show {run_id}`)" if run_id else ""),
               err=True)
    sys.exit(EXIT_REFUSED)


def _started(started: StartedRun, watch: bool) -> None:
    click.echo(f"started run {started.run_id} (task {started.task_id})")
    if watch:
        sys.exit(watch_run(services(), started.run_id))


@hemis_cli.command("sync")
@click.argument("kind", type=click.Choice(HEMIS_KINDS))
@click.option("--watch", is_flag=True, help=WATCH_HELP)
def hemis_sync(kind: str, watch: bool) -> None:
    """Start a full HEMIS sync of students or employees."""
    svc = services()
    if not svc.settings.hemis_api_url or not svc.settings.hemis_bearer_token:
        raise click.ClickException("HEMIS is not configured: set HEMIS_API_URL and HEMIS_BEARER_TOKEN")
    try:
        started = start_full_run(kind=kind, session_factory=svc.session_factory, client=svc.redis,
                                 progress=svc.progress, celery=svc.celery, triggered_by=CLI_TRIGGER)
    except RunAlreadyRunning as exc:
        _refused(str(exc), exc.run_id)
    _started(started, watch)


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
        run_id, task_id = sipuni_runs.start_step1(sipuni_runs.run_services_from(services()), organization_id,
                                                  CLI_TRIGGER, query.limit,
                                                  sipuni_runs.ExportWindow(query.date_from, query.date_to))
    except sipuni_runs.RunInProgress as exc:
        _refused(str(exc), exc.run_id)
    started = StartedRun(run_id, task_id)
    _started(started, watch)


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
        run_id, task_id = sipuni_runs.start_step2(sipuni_runs.run_services_from(services()), organization_id,
                                                  CLI_TRIGGER, sipuni_runs.ExportWindow(window.date_from, window.date_to),
                                                  limit)
    except sipuni_runs.RunInProgress as exc:
        _refused(str(exc), exc.run_id)
    started = StartedRun(run_id, task_id)
    _started(started, watch)


@runs_cli.command("list")
@click.option("--kind", default=None, help="Only runs of this kind, e.g. hemis_students, sipuni_step2.")
@click.option("--limit", type=click.IntRange(1, MAX_RUNS_LISTED), default=DEFAULT_FINISHED_SHOWN,
              help="Finished runs to show.")
def list_command(kind: str | None, limit: int) -> None:
    """Running runs, then the latest finished ones: id, kind, status, organization, records, duration."""
    svc = services()
    with session_scope(svc.session_factory) as session:
        running, finished = list_runs(session, organization_id=None, include_global=True, kind=kind,
                                      finished_limit=limit)
        views = [run_view(run, svc.progress.get(run.id)) for run in running] + [run_view(run, None) for run in finished]
    for view in views:
        numbers = view["progress"]
        percent = f"{numbers['percent']:g}%" if numbers["percent"] is not None else "-"
        duration = f"{view['duration'] / 1000:.1f}s" if view["duration"] is not None else "-"
        click.echo(f"{view['runId']}\t{view['kind']}\t{view['status']}\torg={view['organizationId'] or '-'}"
                   f"\t{percent}\trecords={numbers['records']}\tskipped={numbers['skipped']}"
                   f"\tfailed={numbers['failed']}\t{duration}")


@runs_cli.command("show")
@click.argument("run_id")
@click.option("--watch", is_flag=True, help=WATCH_HELP)
def show(run_id: str, watch: bool) -> None:
    """A run's record and progress as JSON (or, with --watch, a progress bar until it ends)."""
    view = current_view(services(), run_id)
    if view is None:
        raise click.ClickException(f"run {run_id} not found")
    if watch:
        sys.exit(watch_run(services(), run_id))
    click.echo(json.dumps(view, indent=2, ensure_ascii=False))
    click.echo(summary_line(view), err=True)


def _require_organization(organization_id: int) -> None:
    """The organization exists and may use a Sipuni account (the same rule as the HTTP triggers)."""
    with session_scope(services().session_factory) as session:
        try:
            resolve_account(session, organization_id, services().settings)
        except UnknownOrganization as exc:
            raise click.UsageError(f"Organization {organization_id} not found") from exc
        except AccountMissing as exc:
            _refused(str(exc))
