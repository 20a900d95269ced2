"""How every XLSX export looks: a bold header row that stays in view (frozen), and score cells
coloured by where the score sits on the organization's scale (10 or 100): red, amber or green.

The bands are fractions of the scale, so 4/10 and 40/100 are both red. The colours are Excel's
own "Bad", "Neutral" and "Good" cell styles (fill and font), which read well printed in grey too.
The colour is the cell's own fill, written with its value: a spreadsheet without conditional
formatting (Google Sheets' import, LibreOffice's older versions) shows it the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from weakref import WeakKeyDictionary

from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

SCORE_RED_BELOW_FRACTION = 0.5  # a score under half the scale is red
SCORE_AMBER_BELOW_FRACTION = 0.8  # under 80 % of the scale amber; from 80 % green
RED, AMBER, GREEN = "red", "amber", "green"
# Excel's "Bad" / "Neutral" / "Good" styles: (fill, font colour), RGB.
BAND_COLOURS = {RED: ("FFC7CE", "9C0006"), AMBER: ("FFEB9C", "9C5700"), GREEN: ("C6EFCE", "006100")}
FILLS = {band: PatternFill(fill_type="solid", start_color=fill, end_color=fill)
         for band, (fill, _font) in BAND_COLOURS.items()}
FONTS = {band: Font(color=font) for band, (_fill, font) in BAND_COLOURS.items()}
HEADER_ROW = 1
# Setting a fill and a font makes openpyxl look both up in the workbook's style tables (~70 µs a
# cell: a second for a 20,000-row export). A cell's whole style is a small array of those tables'
# indexes, so each (band, style before) is styled once per workbook and its array copied after.
_STYLED: WeakKeyDictionary[Workbook, dict[tuple[str, tuple[int, ...]], StyleArray]] = WeakKeyDictionary()
FROZEN_BELOW_HEADER = "A2"  # freeze_panes names the first cell that scrolls: everything above row 2 stays


def score_band(value: object, scale: int) -> str | None:
    """RED, AMBER or GREEN for a score on a scale of `scale`; None for no score (an empty cell)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or scale <= 0:
        return None
    fraction = value / scale
    if fraction < SCORE_RED_BELOW_FRACTION:
        return RED
    if fraction < SCORE_AMBER_BELOW_FRACTION:
        return AMBER
    return GREEN


def colour_score_cell(cell: Cell, scale: int) -> None:
    """Fill `cell` (a score already on the organization's scale) with its band's colour."""
    band = score_band(cell.value, scale)
    if band is None:
        return
    styled = _STYLED.setdefault(cell.parent.parent, {})
    key = (band, tuple(cell._style))
    if key in styled:
        cell._style = copy(styled[key])
        return
    cell.fill, cell.font = FILLS[band], FONTS[band]
    styled[key] = copy(cell._style)


def colour_score_columns(sheet: Worksheet, columns: Iterable[int], scale: int) -> None:
    """Colour the score cells of the 1-based `columns`, below the header."""
    for column in columns:
        for (cell,) in sheet.iter_rows(min_row=HEADER_ROW + 1, min_col=column, max_col=column):
            colour_score_cell(cell, scale)


def style_header(sheet: Worksheet) -> None:
    """Bold header row, frozen so that it stays in view while the rows scroll."""
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = FROZEN_BELOW_HEADER
