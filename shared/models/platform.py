"""Organizations, their users, and the record of every sync run."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, JSONType, UTCDateTime, utcnow


class Role(str, enum.Enum):
    SUPERADMIN = "SUPERADMIN"
    ADMIN = "ADMIN"
    # Reads every call and statistic of its organization; starts nothing, changes nothing.
    MANAGER = "MANAGER"
    EMPLOYEE = "EMPLOYEE"


ADMIN_ROLES = frozenset({Role.ADMIN.value, Role.SUPERADMIN.value})
# Who may read the whole organization's calls, runs and statistics.
READER_ROLES = ADMIN_ROLES | {Role.MANAGER.value}
DEFAULT_TIME_ZONE = "UTC"


class RunStatus(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"
    # Stopped by `POST /runs/<runId>/cancel` (shared.runs.cancel); final, like the three above.
    CANCELLED = "cancelled"


FINISHED_STATUSES = frozenset(
    {RunStatus.COMPLETED.value, RunStatus.COMPLETED_WITH_ERRORS.value, RunStatus.FAILED.value,
     RunStatus.CANCELLED.value}
)


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Sipuni account number: a string, because leading zeros are part of it ("060957").
    sipuni_user: Mapped[str | None] = mapped_column(String(32))
    # Needed in clear to sign requests; keep the database private.
    sipuni_secret: Mapped[str | None] = mapped_column(String(200))
    # Maximum score of a call criterion: TEN (0..10) or HUNDRED (0..100); see shared.models.ai.
    scoring_mode: Mapped[str] = mapped_column(String(16), default="TEN", server_default="TEN")
    # IANA name; statistics days and the sync schedule are in this zone.
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE)
    # A 5-field cron in `time_zone`, or None: when beat starts a call sync (see workers.schedules).
    sync_schedule: Mapped[str | None] = mapped_column(String(100))
    # The next due time of `sync_schedule` (UTC); beat claims it, runs, and moves it on.
    next_scheduled_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # SHA-256 (hex) of the organization's own webhook key; the key itself is shown once, never stored.
    webhook_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The organization's own HEMIS (issue 20): its URL and backend token (in clear: it is sent as a
    # bearer token; keep the database private), and its nightly sync's cron in `time_zone` (None:
    # HEMIS_SYNC_CRON, UTC) with the next due time beat claims (see workers.hemis.schedules).
    hemis_url: Mapped[str | None] = mapped_column(String(500))
    hemis_token: Mapped[str | None] = mapped_column(String(200))
    hemis_sync_schedule: Mapped[str | None] = mapped_column(String(100))
    next_hemis_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The language calls are analysed in ("uz", "ru", "en": shared.ai.languages); None follows STT_LANGUAGE.
    analysis_language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="organization")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("organization_id", "ext_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.EMPLOYEE.value)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # Telephony extension ("210"): links Sipuni calls to the employee who made or took them.
    ext_code: Mapped[str | None] = mapped_column(String(16))
    full_name: Mapped[str | None] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Carried by every token as a claim; bumped when the password, email, role, organization or
    # activity changes, so that every token issued before answers 401 (see api.auth.credentials).
    credential_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The user's department (shared.models.teams), one of their organization's; None: in none.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    # A MANAGER limited to this department sees only its people's calls and figures (api.teams.scope).
    managed_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization | None] = relationship(back_populates="users")


class SyncRun(Base):
    """One sync run of any kind; live progress is in Redis, the lasting record is here."""

    __tablename__ = "sync_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(32), default=RunStatus.PENDING.value)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(64))
    triggered_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(JSONType, default=list)
    stats: Mapped[dict] = mapped_column(JSONType, default=dict)
