"""`flask --app api users create|list`: manage users from a shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.auth.routes import hash_password
from api.http.services import services
from shared.db import session_scope
from shared.models import Organization, Role, User

users_cli = AppGroup("users", help="Manage users.")

MIN_PASSWORD_LENGTH = 8


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
