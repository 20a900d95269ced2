"""Branches and departments: their input shapes, how the API shows them, and their changes.

Names are unique (a branch's in its organization, a department's in its branch), compared
without regard to case: a clash is 409 naming `name`. A branch with departments, or a department
with users (members, or a MANAGER limited to it), cannot be deleted: 409 saying how many; move or
delete them first (nothing is detached silently).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.http.errors import ApiError
from api.http.input_guards import MAX_DB_INT
from shared.models import Branch, Department, User
from shared.models.teams import TEAM_NAME_LENGTH


class TeamName(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=TEAM_NAME_LENGTH)


class DepartmentFields(BaseModel):
    """A department as an ADMIN changes it: its name, or the branch it belongs to."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=TEAM_NAME_LENGTH)
    branchId: int | None = Field(None, ge=1, le=MAX_DB_INT)  # noqa: N815 - the API's JSON is camelCase


class NewDepartment(DepartmentFields):
    name: str = Field(min_length=1, max_length=TEAM_NAME_LENGTH)
    branchId: int = Field(ge=1, le=MAX_DB_INT)  # noqa: N815


def branch_as_dict(branch: Branch, departments: int) -> dict[str, object]:
    return {"id": branch.id, "organizationId": branch.organization_id, "name": branch.name,
            "departments": departments, "createdAt": branch.created_at.isoformat()}


def department_as_dict(department: Department, members: int) -> dict[str, object]:
    return {"id": department.id, "organizationId": department.organization_id, "branchId": department.branch_id,
            "name": department.name, "members": members, "createdAt": department.created_at.isoformat()}


def department_counts(session: Session, branch_ids: list[int]) -> dict[int, int]:
    """Departments per branch."""
    if not branch_ids:
        return {}
    rows = session.execute(select(Department.branch_id, func.count()).where(Department.branch_id.in_(branch_ids))
                           .group_by(Department.branch_id))
    return {branch_id: count for branch_id, count in rows}


def member_counts(session: Session, department_ids: list[int]) -> dict[int, int]:
    """Users (active or not) in each department."""
    if not department_ids:
        return {}
    rows = session.execute(select(User.department_id, func.count()).where(User.department_id.in_(department_ids))
                           .group_by(User.department_id))
    return {department_id: count for department_id, count in rows}


def check_branch_name_free(session: Session, organization_id: int, name: str, except_id: int | None = None) -> None:
    taken = session.scalar(select(Branch.id).where(Branch.organization_id == organization_id,
                                                   func.lower(Branch.name) == name.lower(),
                                                   Branch.id != (except_id or 0)))
    if taken is not None:
        raise _name_taken(f"branch {name!r} already exists (id {taken})")


def check_department_name_free(session: Session, branch_id: int, name: str, except_id: int | None = None) -> None:
    taken = session.scalar(select(Department.id).where(Department.branch_id == branch_id,
                                                       func.lower(Department.name) == name.lower(),
                                                       Department.id != (except_id or 0)))
    if taken is not None:
        raise _name_taken(f"department {name!r} already exists in this branch (id {taken})")


def flush_unique(session: Session) -> None:
    """Write now: two admins naming two teams alike at once meet the unique index, answered 409."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise _name_taken("the name is already taken") from exc


def delete_branch(session: Session, branch: Branch) -> None:
    departments = session.scalar(select(func.count()).select_from(Department)
                                 .where(Department.branch_id == branch.id)) or 0
    if departments:
        raise ApiError(409, f"Branch {branch.id} has {departments} department(s): delete or move them first",
                       {"departments": f"{departments} in this branch"})
    session.delete(branch)


def delete_department(session: Session, department: Department) -> None:
    users = session.scalar(select(func.count()).select_from(User).where(
        or_(User.department_id == department.id, User.managed_department_id == department.id))) or 0
    if users:
        raise ApiError(409, f"Department {department.id} has {users} user(s) in it or limited to it: move them "
                            "first (PATCH /users/<id> with departmentId or managedDepartmentId null)",
                       {"users": f"{users} in this department or limited to it"})
    session.delete(department)


def _name_taken(message: str) -> ApiError:
    return ApiError(409, message, {"name": "already taken"})
