"""What the directory's routes share: the organization a request reads, a page of a list, one
record with the other rows of its person, and the downloads.

Every query runs in a bounded transaction (`api.stats.bounds.stats_session`: a statement timeout,
503 past it), with the organization's id as its first condition (`api.directory.conditions`);
a SUPERADMIN names the organization with `organizationId`, anyone else reads their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from flask import Response, send_file, stream_with_context
from sqlalchemy import Row
from sqlalchemy.orm import Session

from api.auth.roles import current_organization_id
from api.directory import export, keyset
from api.directory.conditions import where
from api.directory.cursor import Cursor, decode, encode
from api.directory.filters import DirectoryFilter, PagedFilter
from api.directory.records import Shape
from api.http.errors import ApiError
from api.stats.bounds import stats_session
from api.stats.export import CSV_MIMETYPE, XLSX_MIMETYPE
from shared.models import Organization

EXPORT_PAGE_ROWS = 5000  # rows a download reads per transaction
TRUNCATED_HEADER = "X-Export-Truncated"


def organization_id(session: Session) -> int:
    """The organization this request reads; 404 for one that does not exist (a SUPERADMIN's typo)."""
    found = current_organization_id()
    if session.get(Organization, found) is None:
        raise ApiError(404, f"Organization {found} not found")
    return found


def keys(shape: Shape, organization: int, query: DirectoryFilter) -> keyset.Keys:
    return keyset.Keys(shape.name, shape.row_id, tuple(where(shape.model, organization, query)))


def by_id(session: Session, shape: Shape) -> Callable[[list[int]], list[Row[Any]]]:
    """Reads the shape's rows of some ids, in the ids' order."""
    def rows(ids: list[int]) -> list[Row[Any]]:
        if not ids:
            return []
        found = {row._mapping[shape.row_id]: row for row in session.execute(shape.select().where(shape.row_id.in_(ids)))}
        return [found[row_id] for row_id in ids if row_id in found]
    return rows


def page(shape: Shape, query: PagedFilter, key: str) -> dict[str, Any]:
    """The body of a list's page: `key` holds the items."""
    with stats_session() as session:
        cursor = decode(query.cursor) if query.cursor else None
        found = keyset.read_page(session, keys(shape, organization_id(session), query), by_id(session, shape), cursor,
                                 query.limit)
    return {"success": True, key: [shape.item(row) for row in found.rows], "limit": query.limit,
            "nextCursor": encode(found.next_cursor) if found.next_cursor else None}


def record(shape: Shape, siblings: Shape, record_id: int, label: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Row `record_id` of the organization, and every row of the same person (`hemis_id`) in it,
    itself included, active ones first. Another organization's row is 404, as if it did not exist."""
    model = shape.model
    with stats_session() as session:
        organization = organization_id(session)
        row = session.execute(shape.select().where(model.id == record_id, model.organization_id == organization)).first()
        if row is None:
            raise ApiError(404, f"{label} {record_id} not found")
        person = row._mapping[model.hemis_id]
        rows = session.execute(siblings.select().where(model.organization_id == organization, model.hemis_id == person)
                               .order_by(model.is_active.desc(), model.id))
        return shape.item(row), [siblings.item(sibling) for sibling in rows]


def csv_download(shape: Shape, query: DirectoryFilter, stem: str) -> Response:
    pages = _pages(shape, query)
    return _attachment(Response(stream_with_context(export.csv_chunks(shape, pages)), mimetype=CSV_MIMETYPE),
                       stem, "csv", truncated=False)


def xlsx_download(shape: Shape, query: DirectoryFilter, stem: str, sheet_title: str) -> Response:
    title = f"{sheet_title}, synced from HEMIS (times in UTC)"
    workbook, truncated = export.xlsx_file(shape, _pages(shape, query), sheet_title, title)
    return _attachment(send_file(workbook, mimetype=XLSX_MIMETYPE), stem, "xlsx", truncated=truncated)


def _pages(shape: Shape, query: DirectoryFilter) -> Any:
    """Every page of the filter, each read in its own transaction. The first is read now, so that
    a refusal (404, 503) is the response's status rather than a broken download."""
    with stats_session() as session:
        listed = keys(shape, organization_id(session), query)
        first = keyset.read_page(session, listed, by_id(session, shape), None, EXPORT_PAGE_ROWS)

    def read(cursor: Cursor | None) -> keyset.Page:
        with stats_session() as session:
            return keyset.read_page(session, listed, by_id(session, shape), cursor, EXPORT_PAGE_ROWS)

    return keyset.walk(read, first)


def _attachment(response: Response, stem: str, extension: str, *, truncated: bool) -> Response:
    name = f"{stem}-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers[TRUNCATED_HEADER] = "true" if truncated else "false"
    return response
