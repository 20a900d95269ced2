"""The directory's keyset cursor: where the next page starts, opaque to clients.

Every list of the directory (students, employees, the lookup lists) is ordered by a name, then by
row id: a total, stable order, so a page boundary never skips or repeats a row when rows are
added or renamed meanwhile (a renamed row moves to its new place; it is neither lost nor shown
twice by the pages already read). A row without a name comes after every named one, as
PostgreSQL sorts NULL last. A cursor is the (name, id) of the last row of a page, as URL-safe
base64 of a small JSON array; it only says where to resume, so a forged one reveals nothing the
filters would not. It is checked whole here, so that a forged one is a 400 and never reaches the
database (a NUL or a lone surrogate in the name would be refused there as a 500).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from api.http.input_guards import MAX_DB_INT, NUL
from shared.models.hemis import NAME_LENGTH

# The longest name, every character escaped by JSON (6 bytes), in base64 (4/3), with room to spare.
MAX_CURSOR_LENGTH = 2400
NOT_A_CURSOR = "not a cursor of this list: pass the nextCursor of a previous page"


class CursorError(ValueError):
    """Not a cursor this API gave out."""


@dataclass(frozen=True)
class Cursor:
    name: str | None  # the last row's name; None for a row without one (those come last)
    row_id: int


def encode(cursor: Cursor) -> str:
    payload = json.dumps([cursor.name, cursor.row_id], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode(text: str) -> Cursor:
    """The cursor `text` names; CursorError for anything else."""
    try:
        name, row_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise CursorError(NOT_A_CURSOR) from exc
    if type(row_id) is not int or not 1 <= row_id <= MAX_DB_INT or not _storable_name(name):
        raise CursorError(NOT_A_CURSOR)
    return Cursor(name, row_id)


def _storable_name(name: object) -> bool:
    """None, or text PostgreSQL can compare: no NUL, valid UTF-8 (no lone surrogate), not too long."""
    if name is None:
        return True
    if not isinstance(name, str) or NUL in name or len(name) > NAME_LENGTH:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
