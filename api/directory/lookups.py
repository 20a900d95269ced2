"""`GET /hemis/departments|groups|specialties|semesters`: the organization's lookup lists as synced
from HEMIS, a page at a time in the directory's keyset order (by name, then id).

Each takes `active` (default true), `search` (part of the name, or the exact code) and the links
to its parents: departments `parentId` and `structureType` (11 faculty, 12 chair), groups
`departmentId` and `specialtyId`, specialties `departmentId`, semesters `curriculumId` and
`current`. Readers as for the lists of people: ADMIN, MANAGER, a SUPERADMIN with `organizationId`.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api.auth.access import READER
from api.directory import listing
from api.directory.filters import DepartmentsQuery, GroupsQuery, LookupFilter, SemestersQuery, SpecialtiesQuery
from api.directory.records import DEPARTMENTS, GROUPS, SEMESTERS, SPECIALTIES, Shape
from api.directory.schemas import page_model
from api.http.endpoint import endpoint
from api.openapi.common import ok

bp = Blueprint("hemis_lists", __name__, url_prefix="/hemis")

# (path and JSON key, the item's model name, its shape, its query)
LISTS: tuple[tuple[str, str, Shape, type[LookupFilter]], ...] = (
    ("departments", "HemisDepartmentItem", DEPARTMENTS, DepartmentsQuery),
    ("groups", "HemisGroupItem", GROUPS, GroupsQuery),
    ("specialties", "HemisSpecialtyItem", SPECIALTIES, SpecialtiesQuery),
    ("semesters", "HemisSemesterItem", SEMESTERS, SemestersQuery),
)


def _add_list(key: str, item_name: str, shape: Shape, query_model: type[LookupFilter]) -> None:
    page = page_model(f"{item_name}Page", key, shape.response_model(item_name))

    @endpoint(auth=READER, query=query_model, responses={200: ok(page)},
              summary=f"A page of the organization's HEMIS {key}")
    def view(query: LookupFilter) -> ResponseReturnValue:
        return jsonify(listing.page(shape, query, key))

    bp.add_url_rule(f"/{key}", key, view, methods=["GET"])


for _list in LISTS:
    _add_list(*_list)
