"""An organization's branch or department by id, as an input names it: another organization's is as
unknown as a missing one, so an id never reaches across tenants."""

from __future__ import annotations

from sqlalchemy.orm import Session

from api.http.errors import ApiError
from api.http.validation import VALIDATION_FAILED
from shared.models import Branch, Department


def find_branch(session: Session, organization_id: int, branch_id: int) -> Branch | None:
    branch = session.get(Branch, branch_id)
    return branch if branch is not None and branch.organization_id == organization_id else None


def find_department(session: Session, organization_id: int, department_id: int) -> Department | None:
    department = session.get(Department, department_id)
    return department if department is not None and department.organization_id == organization_id else None


def branch_or_404(session: Session, organization_id: int, branch_id: int) -> Branch:
    """The branch a URL names."""
    branch = find_branch(session, organization_id, branch_id)
    if branch is None:
        raise ApiError(404, f"Branch {branch_id} not found")
    return branch


def department_or_404(session: Session, organization_id: int, department_id: int) -> Department:
    """The department a URL names."""
    department = find_department(session, organization_id, department_id)
    if department is None:
        raise ApiError(404, f"Department {department_id} not found")
    return department


def branch_field(session: Session, organization_id: int, branch_id: int, field: str) -> Branch:
    """The branch a parameter or body field names: 400 naming `field` when the organization has none."""
    branch = find_branch(session, organization_id, branch_id)
    if branch is None:
        raise ApiError(400, VALIDATION_FAILED, {field: f"no branch {branch_id} in this organization"})
    return branch


def department_field(session: Session, organization_id: int, department_id: int, field: str) -> Department:
    """The department a parameter or body field names: 400 naming `field` when the organization has none."""
    department = find_department(session, organization_id, department_id)
    if department is None:
        raise ApiError(400, VALIDATION_FAILED, {field: f"no department {department_id} in this organization"})
    return department
