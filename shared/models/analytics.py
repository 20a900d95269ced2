"""The call log: every row of every Sipuni export, answered or missed, recording or not.

Step 2 stores only calls it can attribute and whose recording exists (the seed's meaning of
`calls`); statistics need every call, so step 1 keeps each export row here as well. A row is
unique per organization and "ID записи"; a repeated export updates it in place.

It is also the base of `GET /calls`, every exported call joined with its stored call if any; the
callback columns are Sipuni's "Состояние перезвона" and "Время перезвона", read by
`shared.sipuni.callbacks` when the row is written.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, UTCDateTime, utcnow

NUMBER_LENGTH = 64
EXT_CODE_LENGTH = 16
CALLBACK_STATE_LENGTH = 24  # the longest of shared.sipuni.callbacks.CALLBACK_STATES is 18


class CallLogEntry(Base):
    __tablename__ = "call_log"
    __table_args__ = (
        UniqueConstraint("organization_id", "record_id"),
        # Statistics read one organization's window, as a whole and per employee. The included
        # columns are all the aggregates read, so PostgreSQL answers from the index alone.
        Index("ix_call_log_organization_id_started_at", "organization_id", "started_at",
              postgresql_include=["employee_id", "status", "direction", "talk_duration_s"]),
        Index("ix_call_log_organization_id_employee_id_started_at", "organization_id", "employee_id", "started_at"),
        # The call list's order (newest first, then id) for keyset pages; the included columns are
        # its commonest filters, so that counting a filtered window reads the index alone.
        Index("ix_call_log_organization_id_started_at_id", "organization_id", "started_at", "id",
              postgresql_include=["employee_id", "ext_code", "status", "direction", "callback_state"]),
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
    # "Состояние перезвона" read: none / called_back / tried / client_called_back, or None when the
    # call has no callback state (not a missed incoming call, or written before it was read).
    callback_state: Mapped[str | None] = mapped_column(String(CALLBACK_STATE_LENGTH))
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "Время перезвона", UTC
    callback_delay_s: Mapped[int | None] = mapped_column(Integer)  # from the call's start
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
