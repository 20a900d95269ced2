"""The call list's keyset cursor: where the next page starts, opaque to clients.

The list is ordered by start time, newest first (a call-log row whose start is unknown, a rare
unreadable export row, comes before all others), then by call-log id, highest first: a total,
stable order, so a page boundary never skips or repeats a row when calls are added meanwhile.
A cursor is the (start, id) of the last row of a page, as URL-safe base64 of a small JSON array.
It only says where to resume: the filters are the request's own, so a forged cursor reveals
nothing that the filters would not.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timezone

MAX_CURSOR_LENGTH = 200
MAX_CALL_LOG_ID = 2**63 - 1  # call_log.id is a bigint


class CursorError(ValueError):
    """Not a cursor this API gave out."""


@dataclass(frozen=True)
class Cursor:
    started_at: datetime | None  # UTC; None for a row whose start is unknown
    log_id: int


def encode(cursor: Cursor) -> str:
    moment = cursor.started_at.astimezone(timezone.utc).isoformat() if cursor.started_at else None
    payload = json.dumps([moment, cursor.log_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode(text: str) -> Cursor:
    """The cursor `text` names; CursorError for anything else."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        moment, log_id = payload
        started_at = None if moment is None else datetime.fromisoformat(moment)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise CursorError("not a cursor of this list: pass the nextCursor of a previous page") from exc
    if type(log_id) is not int or not 1 <= log_id <= MAX_CALL_LOG_ID or (started_at and started_at.tzinfo is None):
        raise CursorError("not a cursor of this list: pass the nextCursor of a previous page")
    return Cursor(started_at, log_id)
