"""Whose calls a list or a figure may show, by team: the one function statistics, the call list and
the users list ask.

A request may narrow itself to a department (`departmentId`) or a branch (`branchId`: its
departments); a MANAGER with a `managedDepartmentId` is always limited to that department, whatever
they ask (another department is 403). The answer is a `Team`: the departments whose members'
calls count, turned into an employee-id subquery where the SQL needs it. Calls are a team's when
the call log credits them to one of its members (`call_log.employee_id`, the holder of the
extension at export time), so a user's figures follow the department they are in now.

None means "no limit by team": the organization as a whole, as before teams existed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from api.auth.roles import current_role, current_user_id
from api.http.errors import ApiError
from api.http.input_guards import MAX_DB_INT
from api.teams.lookup import branch_field, department_field
from shared.models import Department, Role, User


class TeamFilter(BaseModel):
    """The query parameters that narrow a list or a figure to a team."""

    departmentId: int | None = Field(  # noqa: N815 - the API's parameters are camelCase
        None, ge=1, le=MAX_DB_INT, description="Only the calls of this department's employees")
    branchId: int | None = Field(  # noqa: N815
        None, ge=1, le=MAX_DB_INT, description="Only the calls of the employees of this branch's departments")

    @field_validator("departmentId", "branchId", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        return None if value == "" else value


@dataclass(frozen=True)
class Team:
    """The departments of one organization whose members' calls are shown (none: nobody's)."""

    organization_id: int
    department_ids: tuple[int, ...]

    def member_ids(self) -> Select[tuple[int]]:
        """The ids of the users in these departments, as a subquery."""
        return select(User.id).where(User.organization_id == self.organization_id,
                                     User.department_id.in_(self.department_ids))

    def has_member(self, employee_id: ColumnElement[int | None]) -> ColumnElement[bool]:
        """`employee_id` (a column) is one of the team's members."""
        return employee_id.in_(self.member_ids())


def caller_team(session: Session, organization_id: int, department_id: int | None = None,
                branch_id: int | None = None) -> Team | None:
    """The team this request is limited to: the department and/or branch asked for (each must be
    the organization's: 400 naming the parameter), within the department a MANAGER is limited to."""
    asked = _asked_departments(session, organization_id, department_id, branch_id)
    managed = managed_department_id(session)
    if managed is None:
        return None if asked is None else Team(organization_id, asked)
    if asked is not None and managed not in asked:
        raise ApiError(403, f"This manager sees only department {managed}",
                       {"departmentId" if department_id is not None else "branchId": "outside your department"})
    return Team(organization_id, (managed,))


def managed_department_id(session: Session) -> int | None:
    """The department the caller is limited to: a MANAGER's `managedDepartmentId`, else None."""
    if current_role() != Role.MANAGER.value:
        return None
    return session.scalar(select(User.managed_department_id).where(User.id == current_user_id()))


def _asked_departments(session: Session, organization_id: int, department_id: int | None,
                       branch_id: int | None) -> tuple[int, ...] | None:
    """The departments the parameters name (both given: the department, if it is in the branch)."""
    department = None if department_id is None else department_field(
        session, organization_id, department_id, "departmentId")
    branch = None if branch_id is None else branch_field(session, organization_id, branch_id, "branchId")
    if branch is None:
        return None if department is None else (department.id,)
    if department is not None:
        return (department.id,) if department.branch_id == branch.id else ()
    return tuple(session.scalars(select(Department.id).where(Department.branch_id == branch.id)
                                 .order_by(Department.id)))


def sees_employee(session: Session, organization_id: int, employee_id: int | None) -> bool:
    """Whether the caller's team limit (a department-limited MANAGER's) lets them see the calls of
    `employee_id`: always true for everyone else."""
    team = caller_team(session, organization_id)
    if team is None:
        return True
    department_id = None if employee_id is None else session.scalar(
        select(User.department_id).where(User.id == employee_id, User.organization_id == organization_id))
    return department_id is not None and department_id in team.department_ids
