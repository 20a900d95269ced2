"""The call log: every row of every Sipuni export, answered or missed, recording or not.

Step 2 stores only calls it can attribute and whose recording exists (the seed's meaning of
`calls`); statistics need every call, so step 1 keeps each export row here as well. A row is
unique per organization and "ID записи"; a repeated export updates it in place.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, UTCDateTime, utcnow

NUMBER_LENGTH = 64
EXT_CODE_LENGTH = 16


class CallLogEntry(Base):
    __tablename__ = "call_log"
    __table_args__ = (
        UniqueConstraint("organization_id", "record_id"),
        # Statistics read one organization's window, as a whole and per employee. The included
        # columns are all the aggregates read, so PostgreSQL answers from the index alone.
        Index("ix_call_log_organization_id_started_at", "organization_id", "started_at",
              postgresql_include=["employee_id", "status", "direction", "talk_duration_s"]),
        Index("ix_call_log_organization_id_employee_id_started_at", "organization_id", "employee_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    record_id: Mapped[str] = mapped_column(String(64))  # Sipuni "ID записи"
    direction: Mapped[str | None] = mapped_column(String(16))  # incoming / outgoing / internal
    status: Mapped[str | None] = mapped_column(String(16))  # answered / missed
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ext_code: Mapped[str | None] = mapped_column(String(EXT_CODE_LENGTH))  # the employee's extension
    # The user with that extension when the row was last exported (None: nobody has it).
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_number: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH))
    to_number: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH))
    answered_by: Mapped[str | None] = mapped_column(String(NUMBER_LENGTH))
    call_duration_s: Mapped[int | None] = mapped_column(Integer)
    talk_duration_s: Mapped[int | None] = mapped_column(Integer)
    answer_duration_s: Mapped[int | None] = mapped_column(Integer)
    has_recording: Mapped[bool] = mapped_column(Boolean, default=False)  # "Запись существует"
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
