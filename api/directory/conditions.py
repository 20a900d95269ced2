"""The WHERE of a directory list: the organization first, then each filter of `api.directory.filters`.

The organization is always the first condition: every query of the directory reads one tenant's
rows only, so no filter, cursor or id can reach another organization's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from api.directory.filters import ActiveFilter, DirectoryFilter, PersonFilter
from shared.models.hemis import SyncedMixin

LIKE_ESCAPE = "\\"


def where(model: type[SyncedMixin], organization_id: int, query: DirectoryFilter) -> list[ColumnElement[bool]]:
    """The conditions on `model`'s rows of `organization_id` that `query` asks for."""
    found: list[ColumnElement[bool]] = [model.organization_id == organization_id]
    if query.active is not ActiveFilter.ALL:
        found.append(model.is_active.is_(query.active is ActiveFilter.ACTIVE))
    for parameter, column in query.EQUALS.items():
        value = getattr(query, parameter)
        if value is not None:
            found.append(getattr(model, column) == value)
    if query.search is not None:
        found.append(_search(model, query))
    if isinstance(query, PersonFilter) and query.updatedSince is not None:
        found.append(model.synced_at >= query.updatedSince)
    return found


def _search(model: Any, query: DirectoryFilter) -> ColumnElement[bool]:
    """A person: the exact ID number when the text has a digit, else part of the full name. A
    lookup row: part of the name, or the exact code."""
    text = query.search or ""
    if isinstance(query, PersonFilter):
        if _has_digit(text):
            return getattr(model, query.ID_NUMBER) == text
        return model.full_name.ilike(contains(text), escape=LIKE_ESCAPE)
    return or_(model.name.ilike(contains(text), escape=LIKE_ESCAPE), model.code == text)


def _has_digit(text: str) -> bool:
    return any(character.isdigit() for character in text)


def contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own `%`, `_` and `\\` taken literally."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return f"%{text}%"
