"""Fetch one page and store it: one transaction per page, then count it once in Redis."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from shared.hemis.names import EMPLOYEES, STUDENTS
from shared.models import utcnow
from workers.hemis.envelope import Page
from workers.hemis.lookups import lookup_row
from workers.hemis.mapping import UnusableItem, employee_row, record_key, student_row
from workers.hemis.upsert import upsert_rows

log = logging.getLogger("workers.hemis")


_MAPPERS = {STUDENTS: student_row, EMPLOYEES: employee_row}  # the lookup lists: `lookups.lookup_row`


@dataclass
class StoredPage:
    written: int
    ids: list[str]
    problems: list[str] = field(default_factory=list)
    unverified: int = 0


def rows_of(kind: str, items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    mapper = _MAPPERS.get(kind) or functools.partial(lookup_row, kind)
    rows, problems = [], []
    for item in items:
        try:
            rows.append(mapper(item))
        except UnusableItem as exc:
            problems.append(str(exc))
    return rows, problems


def store_items(engine: Engine, kind: str, items: list[dict[str, Any]], run_id: str | None, *,
                organization_id: int) -> StoredPage:
    """Upsert the items in one transaction (all or nothing), on a connection of its own: an ORM
    session's bookkeeping cost a page more CPU than the statement did."""
    rows, problems = rows_of(kind, items)
    with engine.begin() as connection:
        written = upsert_rows(connection, kind, rows, organization_id=organization_id, run_id=run_id, now=utcnow())
    ids = [key for item in items if (key := record_key(kind, item)) is not None]
    unverified = sum(1 for row in rows if kind == STUDENTS and row["student_id_number"] is None)
    return StoredPage(written=written, ids=ids, problems=problems, unverified=unverified)


def page_anomalies(asked: int, page: Page) -> list[str]:
    """What a page says about drift: HEMIS clamps a page past the end to the last page."""
    if page.page != asked:
        return [f"page {asked}: HEMIS answered page {page.page} (pageCount is now {page.page_count}); "
                "the data shrank during the run"]
    return []
