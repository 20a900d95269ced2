"""The shapes the directory answers with, for `@endpoint(responses=...)` and `/openapi.json`: built
from the shapes of `api.directory.records`, so the document says exactly what a route sends."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model

from api.directory.export import XLSX_MAX_ROWS
from api.directory.listing import TRUNCATED_HEADER
from api.http.declaration import ResponseDoc
from api.openapi.common import Succeeded
from api.stats.export import XLSX_MIMETYPE

BINARY = {"type": "string", "format": "binary"}


def page_model(name: str, key: str, item: type[BaseModel]) -> type[BaseModel]:
    """`{success, <key>: [item], limit, nextCursor}`."""
    cursor = (str | None, Field(description="Pass as `cursor` for the next page; null on the last"))
    return create_model(name, __base__=Succeeded, limit=(int, ...), nextCursor=cursor,
                        **{key: (list[item], ...)})  # type: ignore[valid-type]


def detail_model(name: str, fields: dict[str, Any]) -> type[BaseModel]:
    return create_model(name, __base__=Succeeded, **{key: (kind, ...) for key, kind in fields.items()})


def downloads(what: str) -> tuple[dict[int | str, ResponseDoc], dict[int | str, ResponseDoc]]:
    """The documented answers of `<list>.csv` and `<list>.xlsx`."""
    csv = ResponseDoc(f"{what} as CSV (UTF-8 with a BOM), every row of the filter, streamed",
                      media_type="text/csv", schema=BINARY)
    xlsx = ResponseDoc(f"{what} as XLSX: at most {XLSX_MAX_ROWS:,} rows, the first of the list's order "
                       f"({TRUNCATED_HEADER}: true when the filter has more; the CSV has them all)",
                       media_type=XLSX_MIMETYPE, schema=BINARY)
    return {200: csv}, {200: xlsx}
