"""The body of a list answer: which items a query selects, one page of them, in HEMIS's envelope,
serialized once and then answered from the page cache.

Every list pages alike (`page`, `limit` capped at 200, Yii2's clamping). What selects items:
- student-list: `_student_status` (default 11, studying; -1 every status), `search`;
- employee-list: `search` (`type` is accepted and ignored: the simulated staff are all teachers);
- department-list: `active` (default: active units only; `1`/`0` active/inactive; `all` both),
  `_structure_type`, `parent`;
- specialty-list: `_department`, `_education_type`; group-list: `_department`, `_specialty`,
  `_curriculum`; semester-list: `_curriculum`, `_education_year`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

# Compact JSON, as Yii2's json_encode writes it, for a fraction of the json module's CPU.
import orjson

from simulators.hemis import lookups
from simulators.hemis.dataset import Dataset, paginate
from simulators.hemis.page_cache import PageCache
from simulators.hemis.state import RESOURCES, SimulatorState

MAX_LIMIT = 200
DEFAULT_LIMIT = 20  # Yii2's default page size
STUDYING = "11"  # student-list without `_student_status`: students studying now
EVERY_STATUS = "-1"
PEOPLE = ("students", "employees")


@dataclass
class Selection:
    """The items a query selects: `key` names them for the page cache, `total` counts them."""

    key: Hashable
    total: int
    items_at: Callable[[int, int], list[dict[str, Any]]]


def list_body(state: SimulatorState, resource: str, query: dict[str, str], cache: PageCache) -> bytes:
    kind = RESOURCES[resource]
    limit = max(1, min(_int(query.get("limit"), DEFAULT_LIMIT), MAX_LIMIT))
    if kind in PEOPLE and query.get("search"):
        found = state.dataset(kind).search(query["search"])
        start, stop, pagination = paginate(len(found), 1, limit)
        return orjson.dumps(envelope(found[start:stop], pagination, state.array_envelope))
    selection = _people(state.dataset(kind), query) if kind in PEOPLE else _lookups(kind, query)
    start, stop, pagination = paginate(selection.total, _int(query.get("page"), 1), limit)
    key = (selection.key, start, limit, state.array_envelope)
    body = cache.get(key)
    if body is None:
        body = orjson.dumps(envelope(selection.items_at(start, stop), pagination, state.array_envelope))
        cache.put(key, body)
    return body


def envelope(items: list[dict[str, Any]], pagination: dict[str, int], as_arrays: bool) -> dict[str, Any]:
    """HEMIS's envelope; `as_arrays`: `data` and `pagination` as one-element arrays, as the Swagger shows them."""
    page_info: Any = [pagination] if as_arrays else pagination
    data: Any = {"items": items, "pagination": page_info}
    return {"success": True, "error": None, "data": [data] if as_arrays else data, "code": 200}


def _people(dataset: Dataset, query: dict[str, str]) -> Selection:
    status = query.get("_student_status", STUDYING) if dataset.kind == "students" else EVERY_STATUS
    if status == EVERY_STATUS:
        return Selection((dataset.uid, dataset.version), dataset.size(), dataset.items_at)
    indexes = dataset.indexes_with_status(status)
    return Selection((dataset.uid, dataset.version, status), len(indexes),
                     lambda start, stop: [dataset.item(i) for i in indexes[start:stop]])


# --- the lookup lists -----------------------------------------------------------------------------
def _id(field: str) -> Callable[[dict[str, Any]], Any]:
    return lambda item: (item.get(field) or {}).get("id")


def _code(field: str) -> Callable[[dict[str, Any]], Any]:
    return lambda item: (item.get(field) or {}).get("code")


# Per list, the filter parameters and the value of an item each compares with.
FILTERS: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {
    "departments": {"_structure_type": _code("structureType"), "parent": lambda item: item.get("parent")},
    "specialties": {"_department": _id("department"), "_education_type": _code("educationType")},
    "groups": {"_department": _id("department"), "_specialty": _id("specialty"),
               "_curriculum": lambda item: item.get("_curriculum")},
    "semesters": {"_curriculum": lambda item: item.get("_curriculum"),
                  "_education_year": lambda item: item.get("_education_year")},
}
_ACTIVE = {None: (True,), "1": (True,), "true": (True,), "0": (False,), "false": (False,), "all": (True, False)}


def _lookups(kind: str, query: dict[str, str]) -> Selection:
    wanted = tuple(sorted((name, query[name]) for name in FILTERS[kind] if query.get(name) not in (None, "")))
    active = _ACTIVE.get(query.get("active"), (True,)) if kind == "departments" else (True, False)
    items = [item for item in lookups.items(kind)
             if item.get("active", True) in active
             and all(str(FILTERS[kind][name](item)) == value for name, value in wanted)]
    return Selection(("lookups", kind, active, wanted), len(items), lambda start, stop: items[start:stop])


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
