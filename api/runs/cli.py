"""`flask --app api runs ...`: list, follow and cancel sync runs; the helpers every run-starting command shares.

Commands start runs through the same locked start paths as the HTTP triggers (`shared.hemis.start`,
`shared.sipuni.start`): a run already going on is refused with exit code 2. `--watch` follows the
run with a progress bar and exits 0 when it ended `completed`, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click
from flask.cli import AppGroup

from api.http.services import services
from api.runs.cancel import MAX_RUN_ID_LENGTH, NotCancellable, cancel_run
from api.runs.view import DEFAULT_FINISHED_SHOWN, MAX_RUNS_LISTED, list_runs, run_view
from api.runs.watch import current_view, summary_line, watch_run
from shared.db import session_scope
from shared.models import SyncRun
from shared.runs.cancel import RunNotRunning

runs_cli = AppGroup("runs", help="List and follow sync runs.")

EXIT_REFUSED = 2
CLI_TRIGGER = "cli"
WATCH_HELP = "Show a live progress bar until the run ends; exit 0 if it completed, 1 otherwise."


def refused(message: str, run_id: str | None = None) -> NoReturn:
    """Say why a run was not started, and exit 2."""
    click.echo(f"Refused: {message}" + (f" (see `flask --app api runs show {run_id}`)" if run_id else ""),
               err=True)
    sys.exit(EXIT_REFUSED)


def report_started(run_id: str, task_id: str, watch: bool) -> None:
    """Print the new run's ids; with `watch`, follow it and exit with its outcome."""
    click.echo(f"started run {run_id} (task {task_id})")
    if watch:
        sys.exit(watch_run(services(), run_id))


@runs_cli.command("list")
@click.option("--kind", default=None, help="Only runs of this kind, e.g. hemis_students, sipuni_step2.")
@click.option("--organization", "--organization-id", "organization_id", type=int, default=None,
              help="Only this organization's runs (its HEMIS and Sipuni runs); all runs when left out.")
@click.option("--limit", type=click.IntRange(1, MAX_RUNS_LISTED), default=DEFAULT_FINISHED_SHOWN,
              help="Finished runs to show.")
def list_command(kind: str | None, organization_id: int | None, limit: int) -> None:
    """Running runs, then the latest finished ones: id, kind, status, organization, records, duration."""
    svc = services()
    with session_scope(svc.session_factory) as session:
        running, finished = list_runs(session, organization_id=organization_id, include_global=False,
                                      kind=kind, finished_limit=limit)
        views = [run_view(run, svc.progress.get(run.id)) for run in running] + [run_view(run, None) for run in finished]
    for view in views:
        click.echo(list_line(view))


def list_line(view: dict[str, Any]) -> str:
    """One run, tab-separated: id, kind, status, `org=N` (`org=-`: a run of no organization), percent,
    records, skipped, failed, duration."""
    numbers = view["progress"]
    percent = f"{numbers['percent']:g}%" if numbers["percent"] is not None else "-"
    duration = f"{view['duration'] / 1000:.1f}s" if view["duration"] is not None else "-"
    organization = view["organizationId"] if view["organizationId"] is not None else "-"
    return (f"{view['runId']}\t{view['kind']}\t{view['status']}\torg={organization}"
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


@runs_cli.command("cancel")
@click.argument("run_id")
def cancel_command(run_id: str) -> None:
    """Cancel a running Sipuni step 1 or step 2, or HEMIS sync, as `POST /runs/<runId>/cancel` does;
    exit 2 when it has ended (or cannot be cancelled)."""
    svc = services()
    with session_scope(svc.session_factory) as session:
        run = session.get(SyncRun, run_id) if len(run_id) <= MAX_RUN_ID_LENGTH else None
    if run is None:
        raise click.ClickException(f"run {run_id} not found")
    try:
        cancel_run(svc, run, CLI_TRIGGER)
    except (NotCancellable, RunNotRunning) as exc:
        refused(str(exc), run_id)
    click.echo(f"cancelled run {run_id} ({run.kind})")
