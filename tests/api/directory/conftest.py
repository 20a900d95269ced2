"""Two organizations with synced HEMIS rows (`seed.py`), and the callers the directory's tests use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.directory.seed import seed

STUDENTS_A, STUDENTS_B = 120, 40
EMPLOYEES_A, EMPLOYEES_B = 30, 9


@dataclass
class Tenant:
    organization_id: int
    headers: dict[str, str]  # an ADMIN's
    rows: dict[str, Any]  # seed()'s rows by table


@dataclass
class World:
    a: Tenant
    b: Tenant


@pytest.fixture
def world(db, make_user, auth_headers) -> World:  # type: ignore[no-untyped-def]
    tenants = []
    for students, employees in ((STUDENTS_A, EMPLOYEES_A), (STUDENTS_B, EMPLOYEES_B)):
        admin = make_user("ADMIN")
        rows = seed(db, admin.organization_id, students=students, employees=employees)
        tenants.append(Tenant(admin.organization_id, auth_headers(user=admin), rows))
    return World(*tenants)


def get_json(client, path: str, headers: dict[str, str], status: int = 200) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == status, (path, response.get_json())
    return response.get_json()


MAX_PAGES = 1000  # a walk that goes on longer is a cursor that does not move


def walk(client, path: str, headers: dict[str, str], key: str,  # type: ignore[no-untyped-def]
         cursor: str | None = None) -> list[dict[str, Any]]:
    """Every item of a list (after `cursor`), page after page with the cursor; no item twice."""
    items: list[dict[str, Any]] = []
    separator = "&" if "?" in path else "?"
    for _ in range(MAX_PAGES):
        page = get_json(client, path + (f"{separator}cursor={cursor}" if cursor else ""), headers)
        assert len(page[key]) <= page["limit"]
        items += page[key]
        cursor = page["nextCursor"]
        if cursor is None:
            ids = [item["id"] for item in items]
            assert len(ids) == len(set(ids)), "an item was listed twice"
            return items
        assert len(page[key]) == page["limit"], "a page before the last is full"
    raise AssertionError(f"{path}: more than {MAX_PAGES} pages")
