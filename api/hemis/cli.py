"""`flask --app api hemis sync students|employees [--watch]`: start a full HEMIS sync from a shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from api.http.services import services
from api.runs.cli import CLI_TRIGGER, WATCH_HELP, refused, report_started
from shared.hemis.start import HEMIS_KINDS, RunAlreadyRunning, start_full_run

hemis_cli = AppGroup("hemis", help="HEMIS syncs.")


@hemis_cli.command("sync")
@click.argument("kind", type=click.Choice(HEMIS_KINDS))
@click.option("--watch", is_flag=True, help=WATCH_HELP)
def hemis_sync(kind: str, watch: bool) -> None:
    """Start a full HEMIS sync of students or employees."""
    svc = services()
    if not svc.settings.hemis_api_url or not svc.settings.hemis_bearer_token:
        raise click.ClickException("HEMIS is not configured: set HEMIS_API_URL and HEMIS_BEARER_TOKEN")
    try:
        started = start_full_run(svc, kind, triggered_by=CLI_TRIGGER)
    except RunAlreadyRunning as exc:
        refused(str(exc), exc.run_id)
    report_started(started.run_id, started.task_id, watch)
