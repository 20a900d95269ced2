"""Role checks, and the organization a request acts for.

Role and organization come from the user as loaded from the database on this request (see
`api.auth.routes`), never from the token's claims, so a demotion takes effect at once.
"""

from __future__ import annotations

from collections.abc import Collection

from flask_jwt_extended import get_current_user, verify_jwt_in_request
from pydantic import BaseModel, Field, field_validator

from api.http.endpoint import validated_query
from api.http.errors import ApiError
from api.http.input_guards import MAX_DB_INT
from shared.models import ADMIN_ROLES, Role

NO_ORGANIZATION = "Your user belongs to no organization; a SUPERADMIN can pass ?organizationId=N"


class OrganizationScope(BaseModel):
    """The query parameter of every route that acts for an organization: a SUPERADMIN names the
    organization with it (anyone else always acts for their own, whatever they pass)."""

    organizationId: int | None = Field(  # noqa: N815 - the API's parameters are camelCase
        None, ge=1, le=MAX_DB_INT, description="SUPERADMIN only: the organization to act for")

    @field_validator("organizationId", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        return None if value == "" else value


class OrganizationQuery(OrganizationScope):
    """The query of a route whose only parameter is the organization."""


def require_roles(allowed: Collection[str]) -> None:
    """A valid token (401 otherwise) whose user has one of `allowed` (403 otherwise); any role
    when `allowed` is empty."""
    verify_jwt_in_request()
    if not allowed:
        return
    role = current_role()
    if role not in allowed:
        raise ApiError(403, f"This action needs one of the roles: {', '.join(sorted(allowed))}", {"role": role})


def current_user_id() -> int:
    return int(get_current_user().id)


def current_role() -> str:
    return str(get_current_user().role)


def is_admin() -> bool:
    return current_role() in ADMIN_ROLES


def current_organization_id() -> int:
    """The organization this request acts for: the caller's own, or for a SUPERADMIN the
    `organizationId` its route's query declares (`OrganizationScope`), when given."""
    caller = get_current_user()
    if caller.role == Role.SUPERADMIN.value:
        requested = requested_organization_id()
        if requested is not None:
            return requested
    if caller.organization_id is None:
        raise ApiError(400, NO_ORGANIZATION)
    return int(caller.organization_id)


def requested_organization_id() -> int | None:
    query = validated_query()
    return query.organizationId if isinstance(query, OrganizationScope) else None
