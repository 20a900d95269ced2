"""The employees table as a download: CSV (UTF-8 with a BOM, so Excel reads Cyrillic names) and
XLSX (openpyxl: a bold, frozen header row, set column widths, scores with two decimals)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# (field of a /stats/employees row, column title, width in characters, number format)
COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("employeeId", "Employee ID", 12, "0"),
    ("name", "Name", 32, None),
    ("extCode", "Extension", 11, None),
    ("calls", "Calls", 9, "0"),
    ("answered", "Answered", 10, "0"),
    ("missed", "Missed", 9, "0"),
    ("talkTimeS", "Talk time, s", 13, "0"),
    ("scoredCalls", "Scored calls", 13, "0"),
    ("avgScore", "Average score", 14, "0.00"),
    ("bestScore", "Best score", 11, "0.00"),
    ("worstScore", "Worst score", 12, "0.00"),
    ("violations", "Violations", 11, "0"),
)
SHEET_TITLE = "Employees"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def employees_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title for _, title, _, _ in COLUMNS])
    for row in rows:
        writer.writerow(["" if row[field] is None else row[field] for field, _, _, _ in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def employees_xlsx(rows: Sequence[dict[str, Any]], window: dict[str, str], scale: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append([title for _, title, _, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[field] for field, _, _, _ in COLUMNS])
    for index, (_, _, width, number_format) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    workbook.properties.title = (f"Employees {window['from']}..{window['to']} ({window['timeZone']}), "
                                 f"scores out of {scale}")
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
