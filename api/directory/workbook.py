"""A workbook of any size for the directory's downloads: `api.calls.workbook`'s cells (text always a
string cell, the quote prefix where it starts like a formula, a bold frozen header), written row by
row to a file, with no colour bands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from api.calls.workbook import CallWorkbook, Column

NO_BAND = None


class FileWorkbook(CallWorkbook):
    """One sheet written to `target` (a binary file): `add_values` per row, then `close`."""

    def __init__(self, target: IO[bytes], sheet_title: str, columns: Sequence[Column], title: str) -> None:
        super().__init__(sheet_title, [heading for _, heading, _, _ in columns], columns, title, target=target)

    def add_values(self, values: Sequence[Any]) -> None:
        """A row of `values` in column order (None: no cell); no cell is coloured."""
        self.add_row(values, lambda _index, _value: NO_BAND)
