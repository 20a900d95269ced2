"""The directory's downloads: a list's rows as CSV or XLSX, every cell data, never a formula
(`api.stats.cell_safety`).

The CSV (UTF-8 with a BOM, so Excel reads Cyrillic names) is streamed: each page of the keyset walk
(`api.directory.keyset.walk`) is read in its own short transaction and sent as it comes, so a
whole university's list costs the API one page of memory and the database no long transaction.
An XLSX cannot be sent before it is whole (it is a zip), so it is written to a temporary file a
row at a time (`api.directory.workbook`) and sent from there; it holds at most XLSX_MAX_ROWS rows
(the first of the list's order; `X-Export-Truncated` says when more matched), which XlsxWriter
writes in about 15 s (40,000 rows of 37 columns took 12 s on 2 busy CPUs): more would come
near a gunicorn worker's 30 s timeout. The CSV has no limit.
Moments are UTC (named in the header), days are days, true and false are "yes" and "no".
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import IO, Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Row
from sqlalchemy.types import TypeEngine

from api.calls.workbook import Column
from api.directory.records import Shape
from api.directory.workbook import FileWorkbook
from api.stats.cell_safety import csv_cell, csv_row
from shared.models.base import UTCDateTime

XLSX_MAX_ROWS = 50_000
NAME_WIDTH, OTHER_WIDTH = 32, 14
CSV_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_DAY_FORMAT = "yyyy-mm-dd"
UTF8_BOM = "\ufeff"


def columns(shape: Shape) -> list[Column]:
    """(column key, title, width, XLSX number format) of each of the shape's columns."""
    found: list[Column] = []
    for column in shape.columns:
        key = column.key or ""
        kind = column.type
        title, number_format = key.replace("_", " ").capitalize(), None
        if isinstance(kind, DateTime | UTCDateTime):
            title, number_format = f"{title} (UTC)", XLSX_TIME_FORMAT
        elif isinstance(kind, Date):
            number_format = XLSX_DAY_FORMAT
        elif isinstance(kind, Integer | Float):
            number_format = "0" if isinstance(kind, Integer) else "0.00"
        found.append((key, title, NAME_WIDTH if key.endswith("name") else OTHER_WIDTH, number_format))
    return found


def csv_chunks(shape: Shape, pages: Iterable[list[Row[Any]]]) -> Iterator[bytes]:
    """The CSV, a page of rows at a time: the header with the first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow(csv_row(title for _, title, _, _ in columns(shape)))
    cells = [_csv_cell_of(column.type) for column in shape.columns]
    for rows in pages:
        writer.writerows([cell(value) for cell, value in zip(cells, row, strict=True)] for row in rows)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def xlsx_file(shape: Shape, pages: Iterable[list[Row[Any]]], sheet_title: str, title: str) -> tuple[IO[bytes], bool]:
    """The workbook in a temporary file (at its start; the caller closes it), and whether rows were
    left out (more than XLSX_MAX_ROWS matched)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook = FileWorkbook(target, sheet_title, columns(shape), title)
    cells = [_xlsx_cell_of(column.type) for column in shape.columns]
    written, truncated = 0, False
    for rows in pages:
        if written + len(rows) > XLSX_MAX_ROWS:
            rows, truncated = rows[:XLSX_MAX_ROWS - written], True
        for row in rows:
            workbook.add_values([cell(value) for cell, value in zip(cells, row, strict=True)])
        written += len(rows)
        if truncated:
            break
    workbook.close()
    target.seek(0)
    return target, truncated


# How a column's values become cells, chosen once per download by the column's type (a download
# writes millions of cells). Text goes through `csv_cell`; None is an empty cell either way.
def _csv_cell_of(kind: TypeEngine[Any]) -> Callable[[Any], Any]:
    if isinstance(kind, DateTime | UTCDateTime):
        return lambda value: value and value.astimezone(timezone.utc).strftime(CSV_TIME_FORMAT)
    if isinstance(kind, Date):
        return lambda value: value and value.isoformat()
    return _yes_no if isinstance(kind, Boolean) else csv_cell


def _xlsx_cell_of(kind: TypeEngine[Any]) -> Callable[[Any], Any]:
    """Spreadsheets know no time zones: a moment as naive UTC, a day as its midnight."""
    if isinstance(kind, DateTime | UTCDateTime):
        return lambda value: value and value.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(kind, Date):
        return lambda value: value and datetime(value.year, value.month, value.day)
    return _yes_no if isinstance(kind, Boolean) else _as_is


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else "yes" if value else "no"


def _as_is(value: Any) -> Any:
    return value
