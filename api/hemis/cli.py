"""`flask --app api hemis ...`: an organization's HEMIS from a shell.

    hemis sync KIND --organization N [--watch]   start a full sync of one kind
    hemis nightly --organization N [--watch]     the nightly chain (lookup lists, students, employees)
    hemis check --organization N                 the token check (`GET /api/hemis/check`)
    hemis cancel KIND --organization N           cancel the running sync of one kind

`--organization` (also spelled `--organization-id`, as the other commands do) may be left out on a
deployment with one organization. Cancelling a run by its id is `flask runs cancel RUN_ID`; listing an
organization's runs is `flask runs list --organization N`.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import click
from flask.cli import AppGroup
from sqlalchemy import select

from api.hemis.check import check_token
from api.http.services import services
from api.runs.cancel import NotCancellable, cancel_run
from api.runs.cli import CLI_TRIGGER, WATCH_HELP, refused, report_started
from shared.hemis.instance import HemisInstance, InstanceMissing, UnknownOrganization, resolve_instance
from shared.hemis.names import HEMIS_KINDS, run_kind
from shared.hemis.probe import HemisProbeResult
from shared.hemis.start import RunAlreadyRunning, StartedRun, start_full_run, start_nightly
from shared.models import Organization, RunStatus, SyncRun
from shared.runs.cancel import RunNotRunning

hemis_cli = AppGroup("hemis", help="HEMIS syncs, per organization.")
ORGANIZATION_HELP = "The organization (id); may be left out when the deployment has only one."
EXIT_CHECK_FAILED = 1


def _organization_option(command: click.Command) -> click.Command:
    # `--organization-id` too: the spelling of `flask sipuni`, `users`, `criteria` and `orgs`.
    return click.option("--organization", "--organization-id", "organization_id", type=int, default=None,
                        help=ORGANIZATION_HELP)(command)


@hemis_cli.command("sync")
@click.argument("kind", type=click.Choice(HEMIS_KINDS))
@_organization_option
@click.option("--watch", is_flag=True, help=WATCH_HELP)
def hemis_sync(kind: str, organization_id: int | None, watch: bool) -> None:
    """Start a full HEMIS sync of one kind for an organization."""
    instance = _instance(organization_id)
    _report(lambda: start_full_run(services(), kind, organization_id=instance.organization_id,
                                   triggered_by=CLI_TRIGGER), watch)


@hemis_cli.command("nightly")
@_organization_option
@click.option("--watch", is_flag=True, help=WATCH_HELP)
def hemis_nightly(organization_id: int | None, watch: bool) -> None:
    """Start an organization's nightly chain now: lookup lists, students, employees."""
    instance = _instance(organization_id)
    _report(lambda: start_nightly(services(), instance.organization_id, triggered_by=CLI_TRIGGER), watch)


@hemis_cli.command("check")
@_organization_option
def hemis_check(organization_id: int | None) -> None:
    """Check an organization's HEMIS URL and token with one request (exit 1 when it fails)."""
    instance = _instance(organization_id)
    result = check_token(instance.url, instance.token, services().settings.hemis_ca_bundle or True)
    click.echo(check_line(instance, result))
    if not result.success:
        raise SystemExit(EXIT_CHECK_FAILED)


def check_line(instance: HemisInstance, result: HemisProbeResult) -> str:
    """`ok · 230 students · rate limit 10, 9 left, resets in 60 s · organization 3, its own HEMIS at
    hemis.example.uz · <HEMIS's answer in words>`; never the token."""
    parts = [result.reason.value]
    if result.student_count is not None:
        parts.append(f"{result.student_count} students")
    limit = result.rate_limit
    if limit is not None and limit.limit is not None:
        parts.append(f"rate limit {limit.limit}, {limit.remaining} left, resets in {limit.reset} s")
    source = "its own HEMIS" if instance.own else "the deployment's HEMIS"
    # The host alone: a URL's user info could be a secret.
    parts.append(f"organization {instance.organization_id}, {source} at {urlsplit(instance.url).hostname}")
    parts.append(result.message)
    return " · ".join(parts)


@hemis_cli.command("cancel")
@click.argument("kind", type=click.Choice(HEMIS_KINDS))
@_organization_option
def hemis_cancel(kind: str, organization_id: int | None) -> None:
    """Cancel an organization's running HEMIS sync of one kind, as `POST /api/hemis/cancel/<kind>`
    does; exit 2 when none is running."""
    svc = services()
    organization = _organization_id(organization_id)
    with svc.session() as session:
        newest_first = (select(SyncRun).where(SyncRun.kind == run_kind(kind), SyncRun.organization_id == organization)
                        .order_by(SyncRun.started_at.desc()))
        run = session.scalar(newest_first.where(SyncRun.status == RunStatus.RUNNING.value).limit(1))
        latest = run or session.scalar(newest_first.limit(1))
    if run is None:
        ended = f"; the latest, run {latest.id}, is {latest.status}" if latest is not None else ""
        refused(f"no HEMIS {kind} sync of organization {organization} is running{ended}")
    try:
        cancel_run(svc, run, CLI_TRIGGER)
    except (NotCancellable, RunNotRunning) as exc:
        refused(str(exc), run.id)
    click.echo(f"cancelled run {run.id} ({run.kind}, organization {organization})")


def _report(start: Callable[[], StartedRun], watch: bool) -> None:
    try:
        started = start()
    except RunAlreadyRunning as exc:
        refused(str(exc), exc.run_id)
    report_started(started.run_id, started.task_id, watch)


def _organization_id(given: int | None) -> int:
    if given is not None:
        return given
    with services().session() as session:
        ids = list(session.scalars(select(Organization.id).order_by(Organization.id).limit(2)))
    if not ids:
        raise click.ClickException("The deployment has no organization yet: create one with `flask --app api orgs "
                                   "create`, then give it a HEMIS (hemisUrl and hemisToken, PATCH /settings)")
    if len(ids) > 1:
        raise click.UsageError("--organization is required: the deployment has several organizations "
                               "(`flask --app api orgs list`)")
    return ids[0]


def _instance(given: int | None) -> HemisInstance:
    svc = services()
    organization_id = _organization_id(given)
    try:
        with svc.session() as session:
            return resolve_instance(session, organization_id, svc.settings)
    except (UnknownOrganization, InstanceMissing) as exc:
        raise click.ClickException(str(exc)) from exc
