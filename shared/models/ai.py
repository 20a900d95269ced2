"""AI processing of calls: scoring criteria, transcript segments, scores and violations.

A call's own row (`calls`) carries the pipeline state (`ai_status`, `ai_error`) and the flat
results (`transcript`, `summary`, `overall_score`); the detail lives here. Every child row belongs
to one call and is replaced as a whole by the task that produced it, so a retried or duplicated
task never doubles anything (the unique constraints make the database enforce it too).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, UTCDateTime, utcnow


class AiStatus(str, enum.Enum):
    """`calls.ai_status`: pending → transcribing → analyzing → done | failed | not_configured.

    `skipped` is for calls with nothing to process (no recording, e.g. a missed call);
    `no_speech` for a recording whose transcript is empty (no LLM request is made).
    """

    PENDING = "pending"
    TRANSCRIBING = "transcribing"
    ANALYZING = "analyzing"
    DONE = "done"
    FAILED = "failed"
    NOT_CONFIGURED = "not_configured"
    SKIPPED = "skipped"
    NO_SPEECH = "no_speech"  # transcribed, and nothing was said: nothing to score


AI_STATUSES = tuple(status.value for status in AiStatus)


class ScoringMode(str, enum.Enum):
    """`organizations.scoring_mode`: the maximum score of a criterion."""

    TEN = "TEN"
    HUNDRED = "HUNDRED"


MAX_SCORE_BY_MODE = {ScoringMode.TEN.value: 10, ScoringMode.HUNDRED.value: 100}


class Criterion(Base):
    """One thing an organization scores its calls on. Deleting one archives it (`is_active`
    false): past scores keep pointing at it, new analyses no longer use it."""

    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TranscriptSegment(Base):
    __tablename__ = "transcript_segments"
    __table_args__ = (UniqueConstraint("call_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unique constraint (call_id, ...) doubles as the index for "this call's rows".
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # order within the call, from 0
    speaker: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    start_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int] = mapped_column(Integer)


class CallScore(Base):
    __tablename__ = "call_scores"
    __table_args__ = (UniqueConstraint("call_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unique constraint (call_id, ...) doubles as the index for "this call's rows".
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[int] = mapped_column(Integer)  # 10 or 100: the scoring mode when scored
    weight: Mapped[float] = mapped_column(Float)  # the criterion's weight when scored


class Violation(Base):
    """A mistake the model found in the call, with the moment it happened when it said so."""

    __tablename__ = "violations"
    __table_args__ = (UniqueConstraint("call_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unique constraint (call_id, ...) doubles as the index for "this call's rows".
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[str | None] = mapped_column(String(16))  # as the model wrote it, "01:23"
    timestamp_ms: Mapped[int | None] = mapped_column(Integer)  # parsed, when it parses
