"""`/departments`: an organization's departments, each in one of its branches. Everyone signed in
reads their organization's (a MANAGER limited to a department: that one only); ADMIN and
SUPERADMIN (`?organizationId=`) write. `branchId` in a body must be a branch of the same
organization (400 naming it otherwise)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.access import ADMIN, SIGNED_IN
from api.auth.roles import OrganizationQuery, current_organization_id
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.input_guards import MAX_DB_INT
from api.http.services import services
from api.openapi.common import Succeeded, ok
from api.teams import store
from api.teams.lookup import branch_field, department_or_404
from api.teams.scope import managed_department_id
from shared.db import session_scope
from shared.models import Department

bp = Blueprint("departments", __name__, url_prefix="/departments")


class DepartmentsQuery(OrganizationQuery):
    model_config = ConfigDict(extra="forbid")

    branchId: int | None = Field(None, ge=1, le=MAX_DB_INT,  # noqa: N815 - the API's parameters are camelCase
                                 description="Only the departments of this branch")

    @field_validator("branchId", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        return None if value == "" else value


class DepartmentView(BaseModel):
    id: int
    organizationId: int  # noqa: N815 - the API's JSON is camelCase
    branchId: int  # noqa: N815
    name: str
    members: int = Field(description="Users in the department")
    createdAt: str  # noqa: N815


class DepartmentList(Succeeded):
    departments: list[DepartmentView]


class OneDepartment(Succeeded):
    department: DepartmentView


class DepartmentDeleted(Succeeded):
    deleted: int


@bp.get("")
@endpoint(auth=SIGNED_IN, query=DepartmentsQuery, responses={200: ok(DepartmentList)})
def list_departments(query: DepartmentsQuery) -> ResponseReturnValue:
    """The organization's departments (of one branch with `branchId`), by branch and name."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        statement = select(Department).where(Department.organization_id == organization_id)
        if query.branchId is not None:
            statement = statement.where(
                Department.branch_id == branch_field(session, organization_id, query.branchId, "branchId").id)
        managed = managed_department_id(session)
        if managed is not None:
            statement = statement.where(Department.id == managed)
        departments = list(session.scalars(statement.order_by(Department.branch_id, Department.name, Department.id)))
        counts = store.member_counts(session, [department.id for department in departments])
        shown = [store.department_as_dict(department, counts.get(department.id, 0)) for department in departments]
        return jsonify({"success": True, "departments": shown})


@bp.get("/<int:department_id>")
@endpoint(auth=SIGNED_IN, query=OrganizationQuery, responses={200: ok(OneDepartment)})
def get_department(department_id: int, query: OrganizationQuery) -> ResponseReturnValue:
    """One department of the organization."""
    with session_scope(services().session_factory) as session:
        department = department_or_404(session, current_organization_id(), department_id)
        managed = managed_department_id(session)
        if managed is not None and managed != department.id:
            raise ApiError(404, f"Department {department_id} not found")
        return jsonify({"success": True, "department": _shown(session, department)})


@bp.post("")
@endpoint(auth=ADMIN, query=OrganizationQuery, body=store.NewDepartment,
          responses={201: ok(OneDepartment, "Created")})
def create_department(query: OrganizationQuery, body: store.NewDepartment) -> ResponseReturnValue:
    """Add a department to a branch (its name unique in the branch: 409 otherwise)."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        branch = branch_field(session, organization_id, body.branchId, "branchId")
        store.check_department_name_free(session, branch.id, body.name)
        department = Department(organization_id=organization_id, branch_id=branch.id, name=body.name)
        session.add(department)
        store.flush_unique(session)
        return jsonify({"success": True, "department": store.department_as_dict(department, 0)}), 201


@bp.patch("/<int:department_id>")
@endpoint(auth=ADMIN, query=OrganizationQuery, body=store.DepartmentFields, responses={200: ok(OneDepartment)})
def update_department(department_id: int, query: OrganizationQuery,
                      body: store.DepartmentFields) -> ResponseReturnValue:
    """Rename a department, or move it (with its members) to another branch of the organization."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        department = department_or_404(session, organization_id, department_id)
        branch_id = department.branch_id
        if body.branchId is not None:
            branch_id = branch_field(session, organization_id, body.branchId, "branchId").id
        name = body.name if body.name is not None else department.name
        store.check_department_name_free(session, branch_id, name, except_id=department.id)
        department.branch_id, department.name = branch_id, name
        store.flush_unique(session)
        return jsonify({"success": True, "department": _shown(session, department)})


@bp.delete("/<int:department_id>")
@endpoint(auth=ADMIN, query=OrganizationQuery, responses={200: ok(DepartmentDeleted, "Deleted")})
def delete_department(department_id: int, query: OrganizationQuery) -> ResponseReturnValue:
    """Delete a department nobody is in or limited to (409 while anyone is)."""
    with session_scope(services().session_factory) as session:
        store.delete_department(session, department_or_404(session, current_organization_id(), department_id))
    return jsonify({"success": True, "deleted": department_id})


def _shown(session: Session, department: Department) -> dict[str, object]:
    return store.department_as_dict(department, store.member_counts(session, [department.id]).get(department.id, 0))
