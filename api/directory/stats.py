"""`GET /stats/students` (and `.csv`, `.xlsx`): the organization's active students counted by faculty
x education form x course, with the totals per faculty, per form, per course and overall
(`api.directory.counts`); `status` counts one student status only (e.g. 11, studying).
Readers as for the lists: ADMIN, MANAGER, a SUPERADMIN with `organizationId`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict

from api.auth.access import READER
from api.auth.roles import OrganizationScope
from api.directory import counts
from api.directory.filters import code_field
from api.directory.listing import organization_id
from api.directory.schemas import BINARY
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.openapi.common import Succeeded, ok
from api.stats.bounds import stats_session
from api.stats.export import CSV_MIMETYPE, XLSX_MIMETYPE, table_csv, table_xlsx

bp = Blueprint("student_stats", __name__, url_prefix="/stats")

SHEET_TITLE = "Students"
# (field of a cell, column title, width in characters, number format)
COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("departmentId", "Faculty ID", 12, None),
    ("departmentName", "Faculty", 40, None),
    ("educationFormCode", "Education form code", 12, None),
    ("educationFormName", "Education form", 20, None),
    ("levelCode", "Level code", 10, None),
    ("levelName", "Level", 12, None),
    ("course", "Course", 8, "0"),
    ("count", "Students", 10, "0"),
)


class StudentStatsQuery(OrganizationScope):
    model_config = ConfigDict(extra="forbid")

    status: str | None = code_field("Only this student status (e.g. 11, studying); default every status")


class Cell(BaseModel):
    departmentId: str | None  # noqa: N815 - the API's JSON is camelCase
    departmentName: str | None  # noqa: N815
    educationFormCode: str | None  # noqa: N815
    educationFormName: str | None  # noqa: N815
    levelCode: str | None  # noqa: N815
    levelName: str | None  # noqa: N815
    course: int | None
    count: int


class FacultyTotal(BaseModel):
    departmentId: str | None  # noqa: N815
    departmentName: str | None  # noqa: N815
    count: int


class FormTotal(BaseModel):
    educationFormCode: str | None  # noqa: N815
    educationFormName: str | None  # noqa: N815
    count: int


class CourseTotal(BaseModel):
    levelCode: str | None  # noqa: N815
    levelName: str | None  # noqa: N815
    course: int | None
    count: int


class StudentStats(Succeeded):
    organizationId: int  # noqa: N815
    status: str | None
    total: int
    cells: list[Cell]
    faculties: list[FacultyTotal]
    educationForms: list[FormTotal]  # noqa: N815
    courses: list[CourseTotal]


CSV_DOC = {200: ResponseDoc("The cells as CSV (UTF-8 with a BOM)", media_type="text/csv", schema=BINARY)}
XLSX_DOC = {200: ResponseDoc("The cells as XLSX", media_type=XLSX_MIMETYPE, schema=BINARY)}


@bp.get("/students")
@endpoint(auth=READER, query=StudentStatsQuery, responses={200: ok(StudentStats)})
def student_stats(query: StudentStatsQuery) -> ResponseReturnValue:
    """Active students by faculty x education form x course, with totals."""
    organization, cells = _cells(query)
    return jsonify({"success": True, "organizationId": organization, "status": query.status, **counts.totals(cells),
                    "cells": cells})


@bp.get("/students.csv")
@endpoint(auth=READER, query=StudentStatsQuery, responses=CSV_DOC)
def student_stats_csv(query: StudentStatsQuery) -> ResponseReturnValue:
    """The counts by faculty x education form x course as CSV."""
    return _download(table_csv(COLUMNS, _cells(query)[1]), CSV_MIMETYPE, "csv")


@bp.get("/students.xlsx")
@endpoint(auth=READER, query=StudentStatsQuery, responses=XLSX_DOC)
def student_stats_xlsx(query: StudentStatsQuery) -> ResponseReturnValue:
    """The counts by faculty x education form x course as XLSX."""
    organization, cells = _cells(query)
    title = f"Active students of organization {organization} by faculty, education form and course"
    body = table_xlsx(COLUMNS, cells, sheet_title=SHEET_TITLE, title=title, scale=1, score_fields=())
    return _download(body, XLSX_MIMETYPE, "xlsx")


def _cells(query: StudentStatsQuery) -> tuple[int, list[dict[str, Any]]]:
    with stats_session() as session:
        organization = organization_id(session)
        return organization, counts.student_cells(session, organization, query.status)


def _download(body: bytes, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="student-counts.{extension}"'
    response.headers["Cache-Control"] = "no-store"
    return response
