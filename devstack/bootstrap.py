"""First-start chores: migrate the database, create the first admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import func, select

from shared.db import engine_for, make_session_factory, session_scope
from shared.models import Organization, Role, User
from shared.settings import Settings

ADMIN_EMAIL = "admin@navai.local"
DEMO_ORGANIZATION_NAME = "Demo organization"


@dataclass(frozen=True)
class AdminCredentials:
    email: str
    password: str | None  # None when the admin already existed (its password is not stored in clear)
    organization_id: int


def migrate(settings: Settings, project_root: Path) -> None:
    config = Config(str(project_root / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", settings.migrations_url)  # PostgreSQL itself, never a PgBouncer
    command.upgrade(config, "head")


def ensure_admin(settings: Settings) -> AdminCredentials:
    """Create the demo organization and its admin when the database has no user yet."""
    from werkzeug.security import generate_password_hash

    engine = engine_for(settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            admin = session.scalar(select(User).where(User.email == ADMIN_EMAIL))
            if admin is not None:
                return AdminCredentials(ADMIN_EMAIL, None, admin.organization_id or 0)
            if session.scalar(select(func.count()).select_from(User)):
                first = session.scalar(select(User).order_by(User.id))
                return AdminCredentials(first.email, None, first.organization_id or 0)
            organization = Organization(name=DEMO_ORGANIZATION_NAME, sipuni_user=settings.sipuni_user or None,
                                        sipuni_secret=settings.sipuni_secret or None)
            session.add(organization)
            session.flush()
            password = secrets.token_urlsafe(12)
            session.add(User(email=ADMIN_EMAIL, password_hash=generate_password_hash(password),
                             role=Role.ADMIN.value, organization_id=organization.id, full_name="Demo admin"))
            return AdminCredentials(ADMIN_EMAIL, password, organization.id)
    finally:
        engine.dispose()
