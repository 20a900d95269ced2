"""Spreadsheet cells that stay data: what every CSV and XLSX export writes its cells through.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and,
once they trim it, one that starts with a tab or a carriage return) as a formula: a user named
`=HYPERLINK("http://evil", "Click")` would become a live link in a manager's spreadsheet (CSV or
formula injection). So text that starts with one of FORMULA_TRIGGERS is written as text: in CSV
with a leading `'` (the spreadsheet convention for "this is text"), in XLSX as a string cell
(openpyxl would otherwise store `=...` as a formula) with Excel's quote prefix, so that editing the
cell keeps it text. Numbers are not text: they stay numbers, negative ones included.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_TEXT_PREFIX = "'"
XLSX_STRING = "s"  # openpyxl's data type of a string cell ("f" is a formula)
# XML 1.0 cannot hold most control characters: openpyxl refuses them (a 500), so they are replaced.
XLSX_UNWRITABLE_REPLACEMENT = "\ufffd"


def starts_like_formula(value: object) -> bool:
    """Text a spreadsheet would evaluate as a formula (numbers never are text)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_cell(value: object) -> object:
    """A CSV cell: None as empty, formula-like text with a leading `'`, anything else as it is."""
    if value is None:
        return ""
    if starts_like_formula(value):
        return CSV_TEXT_PREFIX + str(value)
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    return [csv_cell(value) for value in values]


def set_xlsx_cell(cell: Cell, value: Any) -> None:
    """Write `value` into `cell` as data: text always as a string cell, numbers as numbers."""
    if not isinstance(value, str):
        cell.value = value
        return
    cell.value = ILLEGAL_CHARACTERS_RE.sub(XLSX_UNWRITABLE_REPLACEMENT, value)
    cell.data_type = XLSX_STRING  # after the value: openpyxl makes any text starting with "=" a formula
    if starts_like_formula(value):
        cell.quotePrefix = True


def write_xlsx_row(sheet: Worksheet, row: int, values: Iterable[Any]) -> None:
    """Row `row` (1-based) of `sheet`, every cell written through `set_xlsx_cell`."""
    for column, value in enumerate(values, start=1):
        set_xlsx_cell(sheet.cell(row=row, column=column), value)
