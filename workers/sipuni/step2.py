"""Step 2 for one call: employee, duplicate check, recording download, insert — in that order.

The log lines are the original's, which operators grep for:
`[STEP2] Employee not found for extCode: 123`, `[STEP2] Call already exists`,
`[STEP2] Recording not available for recordId: <id>`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Call
from shared.models.calls import AI_PENDING
from shared.sipuni.names import recording_key
from shared.storage import Storage
from workers.sipuni import files
from workers.sipuni.client import SipuniClient
from workers.sipuni.csv_parser import SipuniCall, is_valid_record_id
from workers.sipuni.store import call_values, find_employee_id, insert_call
from workers.sipuni.tally import (
    PROCESSED,
    SKIP_ALREADY_EXISTS,
    SKIP_EMPLOYEE_NOT_FOUND,
    SKIP_INVALID_ROW,
    SKIP_NO_RECORDING,
    SKIPPED,
    Outcome,
)

log = logging.getLogger("navai.sipuni.step2")
UNKNOWN_DAY = "unknown-date"


@dataclass(frozen=True)
class CallJob:
    run_id: str
    organization_id: int
    data_dir: str  # this worker's own disk, for partial downloads
    storage: Storage  # where recordings are kept, shared by every host


@dataclass(frozen=True)
class StoredCall:
    outcome: Outcome
    call_id: int | None = None  # set when AI processing should be enqueued


def process_call(job: CallJob, call: SipuniCall, client: SipuniClient,
                 session_scope: Callable[[], AbstractContextManager[Session]]) -> StoredCall:
    if not is_valid_record_id(call.record_id) or call.started_at is None:
        log.warning("[STEP2] Invalid row skipped (recordId %r, time %r)", call.record_id, call.raw.get("Время"))
        return StoredCall(Outcome(SKIPPED, SKIP_INVALID_ROW))
    with session_scope() as session:
        employee_id = find_employee_id(session, job.organization_id, call.employee_ext)
        if employee_id is None:
            log.info("[STEP2] Employee not found for extCode: %s", call.employee_ext or call.employee_field)
            return StoredCall(Outcome(SKIPPED, SKIP_EMPLOYEE_NOT_FOUND))
        existing = _existing(session, job.organization_id, call.record_id)
    if existing is not None:
        return _already_stored(existing, job.run_id)
    return _download_and_store(job, call, employee_id, client, session_scope)


def _existing(session: Session, organization_id: int, record_id: str) -> tuple[int, str | None, str] | None:
    row = session.execute(select(Call.id, Call.sync_run_id, Call.ai_status).where(
        Call.organization_id == organization_id, Call.external_id == record_id)).first()
    return None if row is None else (row[0], row[1], row[2])


def _already_stored(existing: tuple[int, str | None, str], run_id: str, *, lost_race: bool = False) -> StoredCall:
    """A call stored by an earlier run is skipped. One stored by this very run was processed: an
    earlier delivery of this task (or a duplicate) stored it and may have died before counting
    it or enqueueing its AI processing, which is therefore sent again while still pending."""
    call_id, stored_by_run, ai_status = existing
    if stored_by_run != run_id:
        log.info("[STEP2] Call already exists")
        return StoredCall(Outcome(SKIPPED, SKIP_ALREADY_EXISTS))
    log.info("[STEP2] Call already stored by this run")
    ai_due = ai_status == AI_PENDING and not lost_race  # the winner of a race enqueues it itself
    return StoredCall(Outcome(PROCESSED), call_id if ai_due else None)


def _download_and_store(job: CallJob, call: SipuniCall, employee_id: int, client: SipuniClient,
                        session_scope: Callable[[], AbstractContextManager[Session]]) -> StoredCall:
    with files.local_partial(job.data_dir, job.organization_id, job.run_id, call.record_id) as partial:
        recording = client.download_recording(call.record_id, partial)
        if recording is None:
            log.info("[STEP2] Recording not available for recordId: %s", call.record_id)
            return StoredCall(Outcome(SKIPPED, SKIP_NO_RECORDING))
        day = call.local_date.isoformat() if call.local_date else UNKNOWN_DAY
        key = recording_key(job.organization_id, day, call.record_id, recording.extension)
        with session_scope() as session:
            values = call_values(call, job.organization_id, employee_id, recording, key, job.run_id)
            call_id = insert_call(session, values)
            if call_id is None:  # another worker stored it first; our download is not needed
                existing = _existing(session, job.organization_id, call.record_id) or (0, None, "")
                return _already_stored(existing, job.run_id, lost_race=True)
            # Still inside the transaction that holds the new row: store the whole file, then commit.
            # A failed upload rolls the row back; the task is retried.
            job.storage.put_file(partial, key, recording.content_type)
        return StoredCall(Outcome(PROCESSED), call_id)
