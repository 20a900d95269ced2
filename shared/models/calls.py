"""Calls stored from Sipuni; the AI pipeline adds its results to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, JSONType, UTCDateTime, utcnow

AI_PENDING = "pending"


class Call(Base):
    __tablename__ = "calls"
    # The database, not the code, guarantees that two workers never store one call twice.
    __table_args__ = (UniqueConstraint("organization_id", "external_id"),
                      # Statistics select an organization's calls by time window (the included
                      # columns are what they read, for index-only scans on PostgreSQL).
                      Index("ix_calls_organization_id_started_at", "organization_id", "started_at",
                            postgresql_include=["id", "employee_id", "overall_score", "score_max"]))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))  # Sipuni "ID записи"
    direction: Mapped[str | None] = mapped_column(String(16))  # incoming / outgoing / internal
    status: Mapped[str | None] = mapped_column(String(32))  # answered / missed
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    from_number: Mapped[str | None] = mapped_column(String(64))
    to_number: Mapped[str | None] = mapped_column(String(64))
    answered_by: Mapped[str | None] = mapped_column(String(64))
    call_duration_s: Mapped[int | None] = mapped_column(Integer)
    talk_duration_s: Mapped[int | None] = mapped_column(Integer)
    answer_duration_s: Mapped[int | None] = mapped_column(Integer)
    recording_path: Mapped[str | None] = mapped_column(String(500))
    recording_size: Mapped[int | None] = mapped_column(BigInteger)
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[dict] = mapped_column(JSONType, default=dict)
    sync_run_id: Mapped[str | None] = mapped_column(String(36))
    ai_status: Mapped[str] = mapped_column(String(32), default=AI_PENDING, index=True)
    ai_error: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    overall_score: Mapped[float | None]
    # The scale `overall_score` was given on (10 or 100), so statistics can convert it to the
    # organization's current scale; None on calls scored before it was recorded.
    score_max: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
