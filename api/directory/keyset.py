"""A page of a directory list in its keyset order (`api.directory.cursor`): by name, then by id,
rows without a name last.

A page is read in two steps. First its keys: the (name, id) of the rows that match, in order, after
the cursor. The students' list index, (organization_id, full_name, id) with every column a filter
tests beside it (`ix_students_list`), holds all a keys query reads, so PostgreSQL answers it from
the index alone: a name search or a rare filter value tests the index's entries without visiting
a row. Then the page's rows, by primary key. Reading whole rows while walking the name order was
the slow way: a surname's matches sit together in that order, so a search for it visited every
row before them (measured on 500,000 students: 500 ms for "karim"; 80 ms from the index alone).

After a cursor on a named row, the named rows that follow it are one range of that order —
`(name, id) > (cursor)` — and the rows without a name are read after them, by id, only when the
named ones did not fill the page. Both are plain index ranges, so a deep page costs what the first
one does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, Select, String, literal, select, tuple_
from sqlalchemy.orm import Session

from api.directory.cursor import Cursor


@dataclass(frozen=True)
class Keys:
    """The keys of a list's rows: `name` and `row_id` of the rows that satisfy `where`."""

    name: ColumnElement[Any]
    row_id: ColumnElement[int]
    where: tuple[ColumnElement[bool], ...]

    def after(self, cursor: Cursor | None, limit: int) -> Select[Any]:
        """At most `limit` keys, in order, after `cursor`, the named ones first."""
        keys = select(self.name, self.row_id).where(*self.where)
        if cursor is None:
            return keys.order_by(self.name.asc().nulls_last(), self.row_id).limit(limit)
        following = tuple_(self.name, self.row_id) > tuple_(literal(cursor.name, String()),
                                                            literal(cursor.row_id, Integer()))
        return keys.where(following).order_by(self.name, self.row_id).limit(limit)

    def unnamed_after(self, cursor: Cursor, limit: int) -> Select[Any]:
        """At most `limit` keys of rows without a name (they come last), after `cursor`."""
        keys = select(self.name, self.row_id).where(*self.where, self.name.is_(None))
        if cursor.name is None:
            keys = keys.where(self.row_id > cursor.row_id)
        return keys.order_by(self.row_id).limit(limit)


@dataclass(frozen=True)
class Page:
    rows: list[Row[Any]]
    next_cursor: Cursor | None


def read_page(session: Session, keys: Keys, rows: Callable[[list[int]], list[Row[Any]]], cursor: Cursor | None,
              limit: int) -> Page:
    """`limit` rows after `cursor` (`rows` reads them by id, in the ids' order), and the cursor
    of the page after them (None on the last page)."""
    wanted = limit + 1  # one more than the page: whether there is a next page
    found = [] if cursor is not None and cursor.name is None else list(session.execute(keys.after(cursor, wanted)))
    if cursor is not None and len(found) < wanted:
        found += session.execute(keys.unnamed_after(cursor, wanted - len(found)))
    page, more = found[:limit], len(found) > limit
    next_cursor = Cursor(page[-1][0], page[-1][1]) if more else None
    return Page(rows([row_id for _, row_id in page]), next_cursor)


def walk(read: Callable[[Cursor | None], Page], first: Page) -> Iterator[list[Row[Any]]]:
    """The rows of `first`, then of every page after it, a page at a time (`read` reads the page
    after a cursor): what a download streams."""
    page = first
    yield page.rows
    while page.next_cursor is not None:
        page = read(page.next_cursor)
        yield page.rows
