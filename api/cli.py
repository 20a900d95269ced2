"""Operator commands: `flask --app api orgs ...` and `flask --app api users ...`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.auth import hash_password
from api.services import services
from shared.db import session_scope
from shared.models import Organization, Role, User
from shared.settings import MIN_WEBHOOK_KEY_LENGTH
from shared.webhook_keys import WebhookKeyTooShort, set_key

orgs_cli = AppGroup("orgs", help="Manage organizations.")
users_cli = AppGroup("users", help="Manage users.")

MIN_PASSWORD_LENGTH = 8


@orgs_cli.command("create")
@click.option("--name", required=True, help="Organization name.")
@click.option("--sipuni-user", default=None, help="Sipuni account number (keep leading zeros).")
@click.option("--sipuni-secret", default=None, help="Sipuni integration secret.")
def create_org(name: str, sipuni_user: str | None, sipuni_secret: str | None) -> None:
    """Create an organization and print its id."""
    if bool(sipuni_user) != bool(sipuni_secret):
        raise click.UsageError("--sipuni-user and --sipuni-secret go together")
    with session_scope(services().session_factory) as session:
        org = Organization(name=name, sipuni_user=sipuni_user, sipuni_secret=sipuni_secret)
        session.add(org)
        session.flush()
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


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help=f"At least {MIN_PASSWORD_LENGTH} characters.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role], case_sensitive=False))
@click.option("--organization-id", type=int, default=None)
@click.option("--ext-code", default=None, help="Telephony extension, unique within the organization.")
@click.option("--full-name", default=None)
def create_user(email: str, password: str, role: str, organization_id: int | None,
                ext_code: str | None, full_name: str | None) -> None:
    """Create a user and print its id."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"--password must be at least {MIN_PASSWORD_LENGTH} characters")
    role = role.upper()
    if role != Role.SUPERADMIN.value and organization_id is None:
        raise click.UsageError(f"--organization-id is required for role {role}")
    try:
        with session_scope(services().session_factory) as session:
            if organization_id is not None and session.get(Organization, organization_id) is None:
                raise click.UsageError(f"organization {organization_id} does not exist")
            user = User(email=email.strip().lower(), password_hash=hash_password(password), role=role,
                        organization_id=organization_id, ext_code=ext_code, full_name=full_name)
            session.add(user)
            session.flush()
            click.echo(user.id)
    except IntegrityError as exc:
        raise click.ClickException(
            "a user with this email, or this ext code in this organization, already exists") from exc


@users_cli.command("list")
@click.option("--organization-id", type=int, default=None)
def list_users(organization_id: int | None) -> None:
    """List users, optionally of one organization."""
    query = select(User).order_by(User.id)
    if organization_id is not None:
        query = query.where(User.organization_id == organization_id)
    with session_scope(services().session_factory) as session:
        for user in session.scalars(query):
            click.echo(f"{user.id}\t{user.email}\t{user.role}\torg={user.organization_id or '-'}"
                       f"\text={user.ext_code or '-'}")


def register_cli(app: Flask) -> None:
    from api.criteria_cli import criteria_cli
    from api.runs_cli import hemis_cli, runs_cli, sipuni_cli

    app.cli.add_command(orgs_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(criteria_cli)
    for group in (hemis_cli, sipuni_cli, runs_cli):
        app.cli.add_command(group)
