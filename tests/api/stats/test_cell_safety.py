"""`api.stats.cell_safety`: text that starts like a formula becomes text, numbers stay numbers
(a negative number included), in CSV and in a real openpyxl workbook read back from its bytes."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from api.stats.cell_safety import csv_row, set_xlsx_cell, write_xlsx_row

FORMULA_LIKE = ("=1+1", "+1", "-1", "-2+3", "@SUM(1)", "\tx", "\rx", '=HYPERLINK("http://x","y")')
HARMLESS = ("Ali", "1-2", "a=b", " =1", "'quoted", "")


def _csv_line(values: list[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(csv_row(values))  # as the export writes
    return buffer.getvalue()


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_gets_a_leading_quote_in_csv(text):
    (cell,) = next(csv.reader(io.StringIO(_csv_line([text]), newline="")))
    assert cell == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_written_as_it_is(text):
    (cell,) = next(csv.reader(io.StringIO(_csv_line([text]), newline="")))
    assert cell == text


def test_numbers_stay_numbers_in_csv_negative_ones_included():
    assert _csv_line([-5, -2.5, 0, 7, None]) == "-5,-2.5,0,7,\r\n"


def _read_back(workbook: Workbook) -> Workbook:
    output = io.BytesIO()
    workbook.save(output)
    return load_workbook(io.BytesIO(output.getvalue()))


def test_xlsx_cells_are_strings_or_numbers_never_formulas():
    workbook = Workbook()
    values = [*FORMULA_LIKE, *HARMLESS[:-1], -5, -2.5, 3]
    write_xlsx_row(workbook.active, 1, values)
    cells = list(_read_back(workbook).active[1])
    assert [cell.data_type for cell in cells] == ["s"] * (len(values) - 3) + ["n"] * 3
    assert [cell.value for cell in cells] == [value.replace("\r", "\n") if isinstance(value, str) else value
                                              for value in values]
    assert [cell.quotePrefix for cell in cells[:len(FORMULA_LIKE)]] == [True] * len(FORMULA_LIKE)
    assert not any(cell.quotePrefix for cell in cells[len(FORMULA_LIKE):])


def test_characters_xml_cannot_hold_are_replaced_not_a_crash():
    workbook = Workbook()
    set_xlsx_cell(workbook.active["A1"], "bad\x01name")
    assert _read_back(workbook).active["A1"].value == "bad\ufffdname"
