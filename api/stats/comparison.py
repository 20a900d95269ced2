"""A period's figures beside the previous period's: the change of each, absolute and relative.

`absolute` is current − previous; `relative` is that change as a fraction of the previous value
(0.25 = 25 % more, -0.5 = half as many), null when the previous value is 0 or unknown (a change
from nothing has no ratio) and `absolute` null when either value is unknown (no scored call:
no average score).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CHANGE_DECIMALS = 2  # absolute changes: as precise as the figures (scores have two decimals)
RELATIVE_DECIMALS = 4  # a fraction: 0.1234 = 12.34 %


def changes(current: Mapping[str, Any], previous: Mapping[str, Any],
            fields: Iterable[str]) -> dict[str, dict[str, float | None]]:
    return {field: change(current[field], previous[field]) for field in fields}


def change(current: float | None, previous: float | None) -> dict[str, float | None]:
    if current is None or previous is None:
        return {"absolute": None, "relative": None}
    absolute = current - previous
    if not isinstance(absolute, int):
        absolute = round(absolute, CHANGE_DECIMALS)
    relative = None if previous == 0 else round((current - previous) / previous, RELATIVE_DECIMALS)
    return {"absolute": absolute, "relative": relative}
