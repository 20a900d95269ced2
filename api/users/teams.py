"""A user's department and, for a MANAGER, the department they are limited to: both must be
departments of the user's organization (400 naming the field otherwise, never another tenant's).

A user moved to another organization leaves a department of the old one (unless the same change
names one of the new). Only a MANAGER can be limited to a department: any other role is a 400.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.http.errors import ApiError
from api.http.validation import VALIDATION_FAILED
from api.teams.lookup import department_field, find_department
from shared.models import Role, User

DEPARTMENT = "departmentId"
MANAGED_DEPARTMENT = "managedDepartmentId"


def apply_teams(session: Session, user: User, changes: dict[str, Any]) -> None:
    """Set the user's departments from `changes` (API field names), once their organization and
    role are final. Nothing is flushed here: a taken email or extension is still found by the
    caller's flush, which says which."""
    with session.no_autoflush:
        _apply(session, user, changes)


def _apply(session: Session, user: User, changes: dict[str, Any]) -> None:
    if DEPARTMENT in changes:
        user.department_id = _department_of(session, user, changes[DEPARTMENT], DEPARTMENT)
    elif user.department_id is not None and _elsewhere(session, user, user.department_id):
        user.department_id = None
    if MANAGED_DEPARTMENT in changes:
        managed = changes[MANAGED_DEPARTMENT]
        if managed is not None and user.role != Role.MANAGER.value:
            raise ApiError(400, VALIDATION_FAILED,
                           {MANAGED_DEPARTMENT: "only a MANAGER can be limited to a department"})
        user.managed_department_id = _department_of(session, user, managed, MANAGED_DEPARTMENT)
    elif user.managed_department_id is not None and (
            user.role != Role.MANAGER.value or _elsewhere(session, user, user.managed_department_id)):
        user.managed_department_id = None  # no longer a MANAGER, or moved: the limit goes with it


def _department_of(session: Session, user: User, department_id: int | None, field: str) -> int | None:
    if department_id is None:
        return None
    if user.organization_id is None:
        raise ApiError(400, VALIDATION_FAILED, {field: "a user of no organization is in no department"})
    return department_field(session, user.organization_id, department_id, field).id


def _elsewhere(session: Session, user: User, department_id: int) -> bool:
    """The department is not one of the user's (current) organization."""
    return user.organization_id is None or find_department(session, user.organization_id, department_id) is None
