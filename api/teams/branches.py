"""`/branches`: an organization's branches. Everyone signed in reads their organization's (a MANAGER
limited to a department: its branch only); ADMIN and SUPERADMIN (`?organizationId=`) write."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.access import ADMIN, SIGNED_IN
from api.auth.roles import OrganizationQuery, current_organization_id
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.openapi.common import Succeeded, ok
from api.teams import store
from api.teams.lookup import branch_or_404, department_or_404
from api.teams.scope import managed_department_id
from shared.db import session_scope
from shared.models import Branch

bp = Blueprint("branches", __name__, url_prefix="/branches")


class BranchView(BaseModel):
    id: int
    organizationId: int  # noqa: N815 - the API's JSON is camelCase
    name: str
    departments: int
    createdAt: str  # noqa: N815


class BranchList(Succeeded):
    branches: list[BranchView]


class OneBranch(Succeeded):
    branch: BranchView


class BranchDeleted(Succeeded):
    deleted: int


@bp.get("")
@endpoint(auth=SIGNED_IN, query=OrganizationQuery, responses={200: ok(BranchList)})
def list_branches(query: OrganizationQuery) -> ResponseReturnValue:
    """The organization's branches, by name, with how many departments each has."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        statement = select(Branch).where(Branch.organization_id == organization_id)
        managed = managed_department_id(session)
        if managed is not None:
            statement = statement.where(Branch.id == department_or_404(session, organization_id, managed).branch_id)
        branches = list(session.scalars(statement.order_by(Branch.name, Branch.id)))
        counts = store.department_counts(session, [branch.id for branch in branches])
        return jsonify({"success": True,
                        "branches": [store.branch_as_dict(branch, counts.get(branch.id, 0)) for branch in branches]})


@bp.get("/<int:branch_id>")
@endpoint(auth=SIGNED_IN, query=OrganizationQuery, responses={200: ok(OneBranch)})
def get_branch(branch_id: int, query: OrganizationQuery) -> ResponseReturnValue:
    """One branch of the organization."""
    with session_scope(services().session_factory) as session:
        branch = _visible_branch(session, branch_id)
        return jsonify({"success": True, "branch": _shown(session, branch)})


@bp.post("")
@endpoint(auth=ADMIN, query=OrganizationQuery, body=store.TeamName, responses={201: ok(OneBranch, "Created")})
def create_branch(query: OrganizationQuery, body: store.TeamName) -> ResponseReturnValue:
    """Add a branch (its name unique in the organization: 409 otherwise)."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        store.check_branch_name_free(session, organization_id, body.name)
        branch = Branch(organization_id=organization_id, name=body.name)
        session.add(branch)
        store.flush_unique(session)
        return jsonify({"success": True, "branch": store.branch_as_dict(branch, 0)}), 201


@bp.patch("/<int:branch_id>")
@endpoint(auth=ADMIN, query=OrganizationQuery, body=store.TeamName, responses={200: ok(OneBranch)})
def rename_branch(branch_id: int, query: OrganizationQuery, body: store.TeamName) -> ResponseReturnValue:
    """Rename a branch."""
    organization_id = current_organization_id()
    with session_scope(services().session_factory) as session:
        branch = branch_or_404(session, organization_id, branch_id)
        store.check_branch_name_free(session, organization_id, body.name, except_id=branch.id)
        branch.name = body.name
        store.flush_unique(session)
        return jsonify({"success": True, "branch": _shown(session, branch)})


@bp.delete("/<int:branch_id>")
@endpoint(auth=ADMIN, query=OrganizationQuery, responses={200: ok(BranchDeleted, "Deleted")})
def delete_branch(branch_id: int, query: OrganizationQuery) -> ResponseReturnValue:
    """Delete a branch without departments (409 while it has any)."""
    with session_scope(services().session_factory) as session:
        store.delete_branch(session, branch_or_404(session, current_organization_id(), branch_id))
    return jsonify({"success": True, "deleted": branch_id})


def _visible_branch(session: Session, branch_id: int) -> Branch:
    """The organization's branch; for a MANAGER limited to a department, only that department's."""
    organization_id = current_organization_id()
    branch = branch_or_404(session, organization_id, branch_id)
    managed = managed_department_id(session)
    if managed is not None and department_or_404(session, organization_id, managed).branch_id != branch.id:
        raise ApiError(404, f"Branch {branch_id} not found")
    return branch


def _shown(session: Session, branch: Branch) -> dict[str, object]:
    return store.branch_as_dict(branch, store.department_counts(session, [branch.id]).get(branch.id, 0))
