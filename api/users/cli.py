"""`flask --app api users create|list|set-department`: manage users from a shell.

A department given here must be one of the user's organization (`api.teams.lookup`), as over HTTP.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth.routes import hash_password
from api.http.services import services
from api.teams.lookup import find_department
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
@click.option("--department-id", type=int, default=None, help="A department of the user's organization.")
@click.option("--managed-department-id", type=int, default=None,
              help="MANAGER only: limit them to this department of their organization.")
def create_user(email: str, password: str, role: str, organization_id: int | None,  # noqa: PLR0913 - one per option
                ext_code: str | None, full_name: str | None, department_id: int | None,
                managed_department_id: int | None) -> None:
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
            if managed_department_id is not None and role != Role.MANAGER.value:
                raise click.UsageError("--managed-department-id is for a MANAGER only")
            user = User(email=email.strip().lower(), password_hash=hash_password(password), role=role,
                        organization_id=organization_id, ext_code=ext_code, full_name=full_name,
                        department_id=_department(session, organization_id, department_id, "--department-id"),
                        managed_department_id=_department(session, organization_id, managed_department_id,
                                                          "--managed-department-id"))
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
                       f"\text={user.ext_code or '-'}\tdepartment={user.department_id or '-'}")


@users_cli.command("set-department")
@click.argument("user_id", type=int)
@click.argument("department_id")
def set_department(user_id: int, department_id: str) -> None:
    """Put a user in DEPARTMENT_ID (a department of their organization), or in none with `none`."""
    with session_scope(services().session_factory) as session:
        user = session.get(User, user_id)
        if user is None:
            raise click.UsageError(f"user {user_id} does not exist")
        wanted = None if department_id.lower() == "none" else _number(department_id)
        user.department_id = _department(session, user.organization_id, wanted, "DEPARTMENT_ID")
        click.echo(f"user {user.id}: department={user.department_id or '-'}")


def _department(session: Session, organization_id: int | None, department_id: int | None, option: str) -> int | None:
    """`department_id` if it is a department of the organization; a usage error otherwise."""
    if department_id is None:
        return None
    if organization_id is None or find_department(session, organization_id, department_id) is None:
        raise click.UsageError(f"{option}: no department {department_id} in organization {organization_id or '-'}")
    return department_id


def _number(value: str) -> int:
    if not value.isdigit():
        raise click.UsageError(f"DEPARTMENT_ID must be a number or 'none', not {value!r}")
    return int(value)
