"""User administration over HTTP: `POST /users`, `PATCH /users/<id>`, `DELETE /users/<id>`.

An ADMIN manages the users of their own organization and cannot grant SUPERADMIN; a SUPERADMIN
manages anyone (`organizationId` in the body says where a new user goes). An extension (`extCode`)
is unique within an organization, an email across all: a clash is 409 (for an email, one message
whoever holds it, so that an ADMIN is not told that it exists in another organization). DELETE
deactivates (the user can no longer log in; their calls and figures stay).

A change of password, email, role, organization or activity ends the user's tokens
(`api.auth.credentials`); one's own password or email needs the current password, and a peer
ADMIN's cannot be changed (`api.users.credential_rules`); an organization keeps an active ADMIN
(`api.users.last_admin`).

`departmentId` puts a user in a department of their organization, `managedDepartmentId` limits a
MANAGER to one (`api.users.teams`): another organization's department is a 400 naming the field.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth.access import ADMIN
from api.auth.credentials import bump_credential_version
from api.auth.roles import current_organization_id, current_role, current_user_id
from api.auth.routes import hash_password
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.input_guards import MAX_DB_INT
from api.http.services import services
from api.openapi.common import Succeeded, ok
from api.users.credential_rules import changes_credentials, check_credential_change
from api.users.last_admin import keep_an_active_admin
from api.users.routes import UserView, user_as_dict
from api.users.standing import Standing
from api.users.teams import apply_teams
from shared.db import session_scope
from shared.models import CallLogEntry, Organization, Role, User

bp = Blueprint("user_admin", __name__)

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
EXT_CODE_PATTERN = r"^\d{2,6}$"  # what Sipuni exports carry as an extension (see csv_parser)
EMAIL_CANNOT_BE_USED = "This email cannot be used; choose another"


class UserFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(None, min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    role: Role | None = None
    extCode: str | None = Field(None, pattern=EXT_CODE_PATTERN)  # noqa: N815 - the API's JSON is camelCase
    firstName: str | None = Field(None, max_length=100)  # noqa: N815
    lastName: str | None = Field(None, max_length=100)  # noqa: N815
    organizationId: int | None = Field(None, ge=1, le=MAX_DB_INT)  # noqa: N815 - SUPERADMIN only
    departmentId: int | None = Field(  # noqa: N815
        None, ge=1, le=MAX_DB_INT, description="A department of the user's organization; null: in none")
    managedDepartmentId: int | None = Field(  # noqa: N815
        None, ge=1, le=MAX_DB_INT, description="MANAGER only: limit them to this department; null: the whole "
                                               "organization")

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.strip().lower() if value else value


class NewUser(UserFields):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    role: Role = Role.EMPLOYEE


class UserChanges(UserFields):
    isActive: StrictBool | None = None  # noqa: N815
    # Required to change one's own password or email.
    currentPassword: str | None = Field(None, min_length=1, max_length=MAX_PASSWORD_LENGTH)  # noqa: N815


class OneUser(Succeeded):
    user: UserView


@bp.post("/users")
@endpoint(auth=ADMIN, body=NewUser, responses={201: ok(OneUser, "Created")})
def create_user(body: NewUser) -> ResponseReturnValue:
    """Create a user (an ADMIN: in their organization)."""
    _check_grantable(body.role)
    with session_scope(services().session_factory) as session:
        organization_id = _target_organization(session, body.role, body.organizationId)
        user = User(email=body.email, password_hash=hash_password(body.password), role=body.role.value,
                    organization_id=organization_id)
        _apply_profile(user, body.model_dump(exclude_unset=True))
        apply_teams(session, user, body.model_dump(exclude_unset=True))
        session.add(user)
        _flush_unique(session)
        _claim_logged_calls(session, user)
        return jsonify({"success": True, "user": user_as_dict(user)}), 201


@bp.patch("/users/<int:user_id>")
@endpoint(auth=ADMIN, body=UserChanges, responses={200: ok(OneUser)})
def update_user(user_id: int, body: UserChanges) -> ResponseReturnValue:
    """Change a user's email, password, role, extension, names or activity.

    Changing one's own password or email needs `currentPassword`. Any change of password, email,
    role, organization or activity ends the user's tokens."""
    changes = body.model_dump(exclude_unset=True)
    with session_scope(services().session_factory) as session:
        user = _managed_user(session, user_id)
        if body.role is not None:
            _check_grantable(body.role)
        if user_id == current_user_id() and (changes.get("isActive") is False or "role" in changes
                                             and body.role != Role(user.role)):
            raise ApiError(400, "You cannot deactivate yourself or change your own role")
        if changes_credentials(user, body.password, body.email):
            check_credential_change(user, body.currentPassword)
        before = Standing.of(user)
        after = _standing_after(session, user, body, changes)
        keep_an_active_admin(session, user, before, after)
        if after != before or body.password is not None:
            bump_credential_version(user)
        after.apply_to(user)
        if body.password is not None:
            user.password_hash = hash_password(body.password)
        _apply_profile(user, changes)
        apply_teams(session, user, changes)
        _flush_unique(session)
        if "extCode" in changes:
            _claim_logged_calls(session, user)
        return jsonify({"success": True, "user": user_as_dict(user)})


@bp.delete("/users/<int:user_id>")
@endpoint(auth=ADMIN, responses={200: ok(OneUser, "Deactivated")})
def deactivate_user(user_id: int) -> ResponseReturnValue:
    """Deactivate a user: they can no longer log in, their tokens end; their calls and figures stay.
    An organization's last active ADMIN cannot be deactivated (409)."""
    with session_scope(services().session_factory) as session:
        user = _managed_user(session, user_id)
        if user_id == current_user_id():
            raise ApiError(400, "You cannot deactivate yourself")
        before = Standing.of(user)
        after = replace(before, is_active=False)
        keep_an_active_admin(session, user, before, after)
        if after != before:
            bump_credential_version(user)
        user.is_active = False
        return jsonify({"success": True, "user": user_as_dict(user)})


# --- helpers ---------------------------------------------------------------------------------------

def _standing_after(session: Session, user: User, body: UserChanges, changes: dict[str, Any]) -> Standing:
    """The user's email, role, organization and activity once `body` is applied."""
    role = body.role or Role(user.role)
    organization_id = user.organization_id
    if "organizationId" in changes:
        if current_role() != Role.SUPERADMIN.value:
            raise ApiError(403, "Only a SUPERADMIN can move a user to another organization")
        organization_id = _target_organization(session, role, body.organizationId)
    if role == Role.SUPERADMIN:
        organization_id = None
    return Standing(email=body.email if body.email is not None else user.email, role=role.value,
                    organization_id=organization_id,
                    is_active=body.isActive if body.isActive is not None else user.is_active)


def _check_grantable(role: Role) -> None:
    if role == Role.SUPERADMIN and current_role() != Role.SUPERADMIN.value:
        raise ApiError(403, "Only a SUPERADMIN can grant the SUPERADMIN role")


def _target_organization(session: Session, role: Role, requested: int | None) -> int | None:
    """Where a user goes: an ADMIN's own organization; for a SUPERADMIN the one named (none for a
    new SUPERADMIN)."""
    if current_role() != Role.SUPERADMIN.value:
        own = current_organization_id()
        if requested is not None and requested != own:
            raise ApiError(403, "An ADMIN manages the users of their own organization only")
        return own
    if role == Role.SUPERADMIN:
        return None
    if requested is None:
        raise ApiError(400, "organizationId is required", {"organizationId": "required for this role"})
    if session.get(Organization, requested) is None:
        raise ApiError(404, f"Organization {requested} not found")
    return requested


def _managed_user(session: Session, user_id: int) -> User:
    """The user, if the caller manages them; another organization's user is 404, as if absent."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise ApiError(404, f"User {user_id} not found")
    if current_role() != Role.SUPERADMIN.value:
        if user.organization_id != current_organization_id() or user.role == Role.SUPERADMIN.value:
            raise ApiError(404, f"User {user_id} not found")
    return user


def _apply_profile(user: User, changes: dict[str, Any]) -> None:
    if "extCode" in changes:
        user.ext_code = changes["extCode"]
    if "firstName" in changes:
        user.first_name = changes["firstName"]
    if "lastName" in changes:
        user.last_name = changes["lastName"]
    if "firstName" in changes or "lastName" in changes:
        user.full_name = " ".join(part for part in (user.first_name, user.last_name) if part) or None


def _claim_logged_calls(session: Session, user: User) -> None:
    """Calls already in the call log under the user's extension but with no employee (nobody had
    it at export time) become the user's, so their history counts in the statistics at once.
    Calls linked to someone else stay theirs."""
    if user.ext_code and user.organization_id is not None:
        session.execute(update(CallLogEntry).where(
            CallLogEntry.organization_id == user.organization_id, CallLogEntry.ext_code == user.ext_code,
            CallLogEntry.employee_id.is_(None)).values(employee_id=user.id))


def _flush_unique(session: Session) -> None:
    """Write now, so that a taken email or extension is a 409 that says which."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        text = str(exc.orig).lower()
        if "ext_code" in text:
            raise ApiError(409, "This extCode is already taken in this organization",
                           {"extCode": "already taken"}) from exc
        if "email" in text:
            # The same answer wherever the email is taken: an ADMIN is not told it exists elsewhere.
            raise ApiError(409, EMAIL_CANNOT_BE_USED, {"email": "cannot be used"}) from exc
        raise ApiError(409, "The change conflicts with an existing user") from exc

