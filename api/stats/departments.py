"""`/stats/departments`: the employees table one level up, one row per department.

A department's row is the figures of `/stats/employees` added up over the employees in it now
(counts and talk time summed, the average score over all their scored calls, best and worst the
extremes), from the same aggregates grouped by the employee's department
(`api.stats.queries.department_figures`). Every department in scope has a row, with zeros when
its people had no calls; calls of employees in no department make a last row with
`departmentId: null`, shown only when the request is not limited to a team.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.stats import queries
from shared.models import Branch, Department, User

NO_DEPARTMENT = "No department"
# (field of a /stats/departments row, column title, width in characters, number format)
COLUMNS: tuple[tuple[str, str, int, str | None], ...] = (
    ("departmentId", "Department ID", 14, "0"),
    ("name", "Department", 28, None),
    ("branchName", "Branch", 24, None),
    ("employees", "Employees", 11, "0"),
    ("calls", "Calls", 9, "0"),
    ("answered", "Answered", 10, "0"),
    ("missed", "Missed", 9, "0"),
    ("talkTimeS", "Talk time, s", 13, "0"),
    ("scoredCalls", "Scored calls", 13, "0"),
    ("avgScore", "Average score", 14, "0.00"),
    ("bestScore", "Best score", 11, "0.00"),
    ("worstScore", "Worst score", 12, "0.00"),
    ("violations", "Violations", 11, "0"),
)


def department_rows(session: Session, scope: queries.Scope, sort: str) -> list[dict[str, Any]]:
    """One row per department of the scope (its team's, or all of the organization's), sorted by
    `sort` highest first (no score last), then the no-department row if any."""
    figures = queries.department_figures(session, scope)
    statement = (select(Department, Branch.name).join(Branch, Branch.id == Department.branch_id)
                 .where(Department.organization_id == scope.organization_id))
    if scope.team is not None:
        statement = statement.where(Department.id.in_(scope.team.department_ids))
    people = _headcounts(session, scope.organization_id)
    rows = [{"departmentId": department.id, "name": department.name, "branchId": department.branch_id,
             "branchName": branch_name, "employees": people.get(department.id, 0),
             **figures.get(department.id, queries.empty_employee_figures())}
            for department, branch_name in session.execute(statement.order_by(Department.id))]
    rows.sort(key=lambda row: (row[sort] is None, -(row[sort] or 0), row["departmentId"]))
    if scope.team is None and None in figures:
        rows.append({"departmentId": None, "name": NO_DEPARTMENT, "branchId": None, "branchName": None,
                     "employees": people.get(None, 0), **figures[None]})
    return rows


def _headcounts(session: Session, organization_id: int) -> dict[int | None, int]:
    """Active users per department of the organization (None: in none)."""
    rows = session.execute(select(User.department_id, func.count()).where(
        User.organization_id == organization_id, User.is_active.is_(True)).group_by(User.department_id))
    return {department_id: count for department_id, count in rows}
