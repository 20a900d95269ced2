"""The call list as a download: CSV (UTF-8 with a BOM, so Excel reads Cyrillic) and XLSX (a bold,
frozen header row, set column widths, the score coloured by its band: `api.stats.xlsx_style`). Times are in the organization's time zone, named in the
header. Every cell goes through `api.stats.cell_safety`: a phone number or a summary is data,
never a formula.

A download holds at most CALLS_EXPORT_MAX_ROWS calls, the newest of the filter (the list's
order); the route says when there were more (`X-Export-Truncated`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from api.stats.cell_safety import csv_row, set_xlsx_cell, write_xlsx_row
from api.stats.xlsx_style import colour_score_cell, style_header

CALLS_EXPORT_MAX_ROWS = 10_000
SHEET_TITLE = "Calls"
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
TIME_FIELDS = frozenset({"startedAt", "callbackAt"})
# (field of a /calls row, column title, width in characters, XLSX number format)
COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("startedAt", "Started at", 20, XLSX_TIME_FORMAT),
    ("direction", "Direction", 10, None),
    ("status", "Status", 10, None),
    ("employeeName", "Employee", 28, None),
    ("extCode", "Extension", 10, None),
    ("fromNumber", "From", 16, None),
    ("toNumber", "To", 16, None),
    ("callDurationS", "Call duration, s", 15, "0"),
    ("talkDurationS", "Talk duration, s", 15, "0"),
    ("callback", "Callback", 18, None),
    ("callbackAt", "Callback at", 20, XLSX_TIME_FORMAT),
    ("callbackDelayS", "Callback delay, s", 16, "0"),
    ("hasRecording", "Recording", 10, None),
    ("aiStatus", "AI status", 12, None),
    ("overallScore", "Score", 8, "0.0"),
    ("summary", "Summary", 48, None),
    ("externalId", "Sipuni ID", 20, None),
    ("callLogId", "Call log ID", 12, "0"),
    ("id", "Call ID", 10, "0"),
)
SCORE_COLUMN = 1 + [field for field, _, _, _ in COLUMNS].index("overallScore")


def calls_csv(rows: Sequence[dict[str, Any]], time_zone: str) -> bytes:
    zone = ZoneInfo(time_zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_row(_titles(time_zone)))
    for row in rows:
        writer.writerow(csv_row(_csv_value(field, row[field], zone) for field, _, _, _ in COLUMNS))
    return buffer.getvalue().encode("utf-8-sig")


def calls_xlsx(rows: Sequence[dict[str, Any]], time_zone: str, title: str, scale: int) -> bytes:
    """`scale`: the organization's, for a score stored without the scale it was given on."""
    zone = ZoneInfo(time_zone)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    write_xlsx_row(sheet, 1, _titles(time_zone))
    style_header(sheet)
    for number, row in enumerate(rows, start=2):
        _write_xlsx_row(sheet, number, row, zone)
        score = sheet.cell(row=number, column=SCORE_COLUMN) if row["overallScore"] is not None else None
        if score is not None:
            colour_score_cell(score, row["scoreMax"] or scale)  # the score's band on its own scale
    for index, (_, _, width, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    workbook.properties.title = title
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _write_xlsx_row(sheet: Worksheet, number: int, row: dict[str, Any], zone: ZoneInfo) -> None:
    """A call's cells, each through `set_xlsx_cell`; an empty value gets no cell at all (most
    calls have no recording, score or callback: a workbook of thousands of calls is written in
    half the time)."""
    for column, (field, _, _, number_format) in enumerate(COLUMNS, start=1):
        value = _xlsx_value(field, row[field], zone)
        if value is None:
            continue
        cell = sheet.cell(row=number, column=column)
        set_xlsx_cell(cell, value)
        if number_format:
            cell.number_format = number_format


def _titles(time_zone: str) -> list[str]:
    return [f"{title} ({time_zone})" if field in TIME_FIELDS else title for field, title, _, _ in COLUMNS]


def _local(value: str | None, zone: ZoneInfo) -> datetime | None:
    """An ISO moment of a row as the organization's wall-clock time (naive: spreadsheets know no zones)."""
    return datetime.fromisoformat(value).astimezone(zone).replace(tzinfo=None) if value else None


def _csv_value(field: str, value: Any, zone: ZoneInfo) -> Any:
    if field in TIME_FIELDS:
        local = _local(value, zone)
        return local.strftime(LOCAL_TIME_FORMAT) if local else None
    return _plain(value)


def _xlsx_value(field: str, value: Any, zone: ZoneInfo) -> Any:
    return _local(value, zone) if field in TIME_FIELDS else _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
