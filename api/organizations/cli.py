"""`flask --app api orgs create|list|webhook-key`: manage organizations from a shell.

`orgs create` gives the new organization the default criteria (`api.criteria.defaults`) in its
analysis language, unless told `--no-default-criteria`.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from api.criteria.defaults import add_default_criteria
from api.http.services import services
from api.sipuni.webhook_keys import WebhookKeyTooShort, set_key
from shared.ai.languages import ANALYSIS_LANGUAGES, analysis_language
from shared.db import session_scope
from shared.models import Organization
from shared.settings import MIN_WEBHOOK_KEY_LENGTH

orgs_cli = AppGroup("orgs", help="Manage organizations.")


@orgs_cli.command("create")
@click.option("--name", required=True, help="Organization name.")
@click.option("--sipuni-user", default=None, help="Sipuni account number (keep leading zeros).")
@click.option("--sipuni-secret", default=None, help="Sipuni integration secret.")
@click.option("--analysis-language", "language", type=click.Choice(ANALYSIS_LANGUAGES), default=None,
              help="Language of the AI analysis (default: STT_LANGUAGE's).")
@click.option("--default-criteria/--no-default-criteria", default=True, show_default=True,
              help="Start with the default scoring criteria.")
def create_org(name: str, sipuni_user: str | None, sipuni_secret: str | None, language: str | None,
               default_criteria: bool) -> None:
    """Create an organization and print its id."""
    if bool(sipuni_user) != bool(sipuni_secret):
        raise click.UsageError("--sipuni-user and --sipuni-secret go together")
    settings = services().settings
    with session_scope(services().session_factory) as session:
        org = Organization(name=name, sipuni_user=sipuni_user, sipuni_secret=sipuni_secret,
                           analysis_language=language)
        session.add(org)
        session.flush()
        if default_criteria:
            add_default_criteria(session, org.id, analysis_language(language, settings.stt_language),
                                 settings.max_criteria)
        click.echo(org.id)


@orgs_cli.command("list")
def list_orgs() -> None:
    """List organizations (the Sipuni secret is never shown)."""
    with session_scope(services().session_factory) as session:
        for org in session.scalars(select(Organization).order_by(Organization.id)):
            sipuni = org.sipuni_user or "-"
            click.echo(f"{org.id}\t{org.name}\tsipuni_user={sipuni}")


@orgs_cli.command("webhook-key")
@click.option("--organization-id", type=int, required=True)
@click.option("--key", default=None, help="Use this key instead of a random one (at least "
              f"{MIN_WEBHOOK_KEY_LENGTH} characters).")
def webhook_key(organization_id: int, key: str | None) -> None:
    """Create or rotate the organization's webhook key and print it once (only its hash is kept)."""
    with session_scope(services().session_factory) as session:
        organization = session.get(Organization, organization_id)
        if organization is None:
            raise click.UsageError(f"organization {organization_id} does not exist")
        try:
            new_key = set_key(session, organization, key)
        except WebhookKeyTooShort as exc:
            raise click.UsageError(str(exc)) from exc
    click.echo(new_key)
    click.echo(f"# the X-API-Key of POST /sipuni-integration for organization {organization_id}; "
               "shown only now, the previous key no longer works", err=True)
