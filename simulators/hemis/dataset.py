"""A lazily generated list of HEMIS records that can change while a sync runs.

Positions map to generator indexes: records prepended "newest first" (shifting every later page,
as an unsorted query does), removed indexes skipped, edited records carrying a version.

Students listed twice: with `duplicate_persons` N, the last N of the `count` items are second
enrolments of persons 0..N-1 (the same `id`, another `meta_id`), so `count` stays what HEMIS's
totalCount says (list items, i.e. enrolments) and the list holds `count - N` persons.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulators.hemis import data

MAX_NAME_SCAN = 100_000
_UIDS = itertools.count(1)


def paginate(total: int, page: int, limit: int) -> tuple[int, int, dict[str, int]]:
    """Yii2's pagination of `total` items: 1-based, the page clamped to [1, pageCount] (past the end:
    the last page again); (start, stop, the envelope's `pagination`)."""
    page_count = -(-total // limit) if total else 0
    page = max(1, min(page, page_count or 1))
    start = (page - 1) * limit
    return start, min(start + limit, total), {"totalCount": total, "pageSize": limit, "pageCount": page_count,
                                               "page": page}


@dataclass
class Dataset:
    kind: str  # "students" | "employees"
    count: int
    seed: int
    prepended: int = 0
    removed: list[int] = field(default_factory=list)  # sorted
    versions: dict[int, int] = field(default_factory=dict)
    duplicate_persons: int = 0  # students only: persons with a second enrolment (see above)
    # What a cached page is keyed on: this list (`uid`) as it is now (`version`, bumped by every change).
    uid: int = field(default_factory=lambda: next(_UIDS))
    version: int = 0
    _by_status: tuple[int, dict[str, list[int]]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.duplicate_persons and (self.kind != "students" or not 0 < self.duplicate_persons <= self.count // 2):
            raise ValueError(f"duplicatePersons must be between 1 and half the students ({self.count // 2})")

    @property
    def _generate(self) -> Callable[[int, int, int], dict[str, Any]]:
        return data.student if self.kind == "students" else data.employee

    def size(self) -> int:
        return self.prepended + self.count - len(self.removed)

    def item(self, index: int) -> dict[str, Any]:
        person = self.person_of_second_enrolment(index)
        if person is not None:
            return data.second_enrolment(self.seed, person, index, self.versions.get(index, 0))
        return self._generate(self.seed, index, self.versions.get(index, 0))

    def person_of_second_enrolment(self, index: int) -> int | None:
        """The person whose second enrolment item `index` is, or None (a person's own first item)."""
        first_second = self.count - self.duplicate_persons
        return index - first_second if first_second <= index < self.count else None

    def second_enrolment_of(self, person: int) -> int | None:
        """The index of `person`'s second enrolment, if the person has one."""
        return self.count - self.duplicate_persons + person if person < self.duplicate_persons else None

    def exists(self, index: int) -> bool:
        in_range = 0 <= index < self.count or self.count <= index < self.count + self.prepended
        return in_range and not self._is_removed(index)

    def index_at(self, position: int) -> int:
        if position < self.prepended:
            return self.count + self.prepended - 1 - position
        wanted = position - self.prepended
        # The least fixed point of x = wanted + |removed <= x| is the wanted-th kept index (never removed).
        candidate = wanted
        while (following := wanted + bisect.bisect_right(self.removed, candidate)) != candidate:
            candidate = following
        return candidate

    def _is_removed(self, index: int) -> bool:
        at = bisect.bisect_left(self.removed, index)
        return at < len(self.removed) and self.removed[at] == index

    def page(self, page: int, limit: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Yii2 semantics: 1-based, page clamped to [1, pageCount] (past the end: the last page again)."""
        start, stop, pagination = paginate(self.size(), page, limit)
        return self.items_at(start, stop), pagination

    def items_at(self, start: int, stop: int) -> list[dict[str, Any]]:
        """The items at list positions [start, stop)."""
        return [self.item(self.index_at(pos)) for pos in range(start, stop)]

    def all_items(self) -> list[dict[str, Any]]:
        return self.items_at(0, self.size())

    def indexes_with_status(self, code: str) -> list[int]:
        """The generator indexes, in list order, of the students whose `studentStatus` is `code`:
        worked out once per version of the list (generating every item), not once per page."""
        if self._by_status is None or self._by_status[0] != self.version:
            groups: dict[str, list[int]] = {}
            for pos in range(self.size()):
                index = self.index_at(pos)
                groups.setdefault(str(self.item(index)["studentStatus"]["code"]), []).append(index)
            self._by_status = (self.version, groups)
        return self._by_status[1].get(code, [])

    def search(self, text: str) -> list[dict[str, Any]]:
        """What `search=` finds: an id number exactly (all rows of an employee), else a name part."""
        text = text.strip()
        indexes = self._by_number(text)
        if indexes is None:
            needle = text.upper()
            indexes = [self.index_at(pos) for pos in range(min(self.size(), MAX_NAME_SCAN))
                       if needle in str(self.item(self.index_at(pos)).get("full_name", ""))]
        return [self.item(i) for i in indexes if self.exists(i)]

    def _by_number(self, text: str) -> list[int] | None:
        if self.kind == "students":
            index = data.index_of_student_number(text)
            if index is None:
                return None
            if data.student_id_number(index) != text or self.person_of_second_enrolment(index) is not None:
                return []
            second = self.second_enrolment_of(index)  # the number is the person's: every enrolment has it
            return [index] if second is None else [index, second]
        person = data.index_of_employee_number(text)
        return None if person is None else data.rows_of_person(person)

    # --- changes during a run ------------------------------------------------------------------
    def prepend(self, how_many: int) -> None:
        self.prepended += how_many
        self.version += 1

    def remove(self, indexes: list[int]) -> None:
        self.removed = sorted(set(self.removed) | {i for i in indexes if 0 <= i < self.count})
        self.version += 1

    def edit(self, indexes: list[int], version: int) -> None:
        for index in indexes:
            self.versions[index] = version
        self.version += 1
