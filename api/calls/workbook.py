"""The call list as an XLSX workbook, written with XlsxWriter.

Why not openpyxl, as the statistics' small tables are: a call download holds up to
CALLS_EXPORT_MAX_ROWS rows, and openpyxl builds every cell as an object before it serialises it
(~0.13 ms a row: 270 ms for a 30-day worklist of 2,000 calls); XlsxWriter streams rows out
(`constant_memory`) in about a third of that. The rules stay those of every export:
- text is always a string cell (`write_string` never makes a formula), and text that starts like a
  formula (`api.stats.cell_safety.starts_like_formula`) also gets Excel's quote prefix, so editing
  the cell does not turn it into one;
- a bold header row, frozen; score cells coloured by their band (`api.stats.xlsx_style`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from api.stats.cell_safety import ILLEGAL_CHARACTERS_RE, XLSX_UNWRITABLE_REPLACEMENT, starts_like_formula
from api.stats.xlsx_style import BAND_COLOURS, score_band

# (field, column title, width in characters, XLSX number format or None)
Column = tuple[str, str, int, str | None]
HEADER_ROW = 0  # XlsxWriter counts rows and columns from 0


class CallWorkbook:
    """One sheet of calls: `add_row` per call, then `finish` for the bytes (or, given a `target`
    file, `close` when the rows are written).

    Never XlsxWriter's `in_memory` mode: it silently turns `constant_memory` off and keeps every
    cell as an object to the end (measured: 450 MB for 50,000 rows of 28 cells); a worksheet is
    streamed through XlsxWriter's temporary file instead, and only the current row is in memory."""

    def __init__(self, sheet_title: str, titles: Sequence[str], columns: Sequence[Column], title: str,
                 target: IO[bytes] | None = None) -> None:
        self._output = target if target is not None else io.BytesIO()
        self._book = xlsxwriter.Workbook(self._output, {"constant_memory": True, "strings_to_formulas": False,
                                                        "strings_to_urls": False})
        self._book.set_properties({"title": title})
        self._sheet: Worksheet = self._book.add_worksheet(sheet_title)
        self._columns = columns
        self._formats: dict[tuple[str | None, str | None, bool], Format] = {}
        for index, (_, _, width, _) in enumerate(columns):
            self._sheet.set_column(index, index, width)
        self._sheet.freeze_panes(HEADER_ROW + 1, 0)
        header = self._format(None, None, quoted=False, bold=True)
        for index, text in enumerate(titles):
            self._sheet.write_string(HEADER_ROW, index, text, header)
        self._next_row = HEADER_ROW + 1

    def add_row(self, values: Sequence[Any], band_of: Callable[[int, Any], str | None]) -> None:
        """`values` in column order (None: no cell); `band_of(column index, value)` names the
        colour band of a cell, or None."""
        for index, value in enumerate(values):
            if value is not None:
                self._write(index, value, band_of(index, value))
        self._next_row += 1

    def finish(self) -> bytes:
        """Close the workbook and give its bytes (a workbook built without a `target`)."""
        self._book.close()
        assert isinstance(self._output, io.BytesIO), "a workbook with a target file is closed with close()"
        return self._output.getvalue()

    def close(self) -> None:
        """Close the workbook: its file (`target`) is complete."""
        self._book.close()

    def _write(self, index: int, value: Any, band: str | None) -> None:
        number_format = self._columns[index][3]
        row, sheet = self._next_row, self._sheet
        if isinstance(value, str):
            text = ILLEGAL_CHARACTERS_RE.sub(XLSX_UNWRITABLE_REPLACEMENT, value)
            sheet.write_string(row, index, text, self._format(None, band, quoted=starts_like_formula(text)))
        elif isinstance(value, datetime):
            sheet.write_datetime(row, index, value, self._format(number_format, band, quoted=False))
        else:
            sheet.write_number(row, index, value, self._format(number_format, band, quoted=False))

    def _format(self, number_format: str | None, band: str | None, *, quoted: bool, bold: bool = False) -> Format:
        """One Format per combination, made once: XlsxWriter keeps every Format it is given."""
        key = (number_format, band, quoted) if not bold else ("bold", None, False)
        found = self._formats.get(key)
        if found is None:
            properties: dict[str, Any] = {"bold": True} if bold else {}
            if number_format:
                properties["num_format"] = number_format
            if quoted:
                properties["quote_prefix"] = True
            if band is not None:
                fill, font = BAND_COLOURS[band]
                properties.update({"pattern": 1, "bg_color": f"#{fill}", "font_color": f"#{font}"})
            found = self._formats[key] = self._book.add_format(properties)
        return found


def score_band_of(score_column: int, scale_of: Callable[[], int]) -> Callable[[int, Any], str | None]:
    """The band function of a row whose score (on the scale `scale_of()` gives) is in `score_column`."""
    def band_of(index: int, value: Any) -> str | None:
        return score_band(value, scale_of()) if index == score_column else None
    return band_of
