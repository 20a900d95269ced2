"""The call list as a download: CSV (UTF-8 with a BOM, so Excel reads Cyrillic) and XLSX (a bold,
frozen header row, set column widths, the score coloured by its band: `api.calls.workbook`). Times
are in the organization's time zone, named in the header. Every cell is written as data by the rules
of `api.stats.cell_safety`: a phone number or a summary is data, never a formula.

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

from api.calls.workbook import CallWorkbook, score_band_of
from api.stats.cell_safety import csv_row

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
    workbook = CallWorkbook(SHEET_TITLE, _titles(time_zone), COLUMNS, title)
    for row in rows:
        # The score's band on its own scale (the one it was given on), else the organization's.
        band_of = score_band_of(SCORE_COLUMN - 1, lambda row=row: row["scoreMax"] or scale)
        workbook.add_row([_xlsx_value(field, row[field], zone) for field, _, _, _ in COLUMNS], band_of)
    return workbook.finish()


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
