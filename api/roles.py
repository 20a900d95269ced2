"""Role checks for views, and the organization a request acts for.

Role and organization come from the user as loaded from the database on this request (see
`api.auth`), never from the token's claims, so a demotion takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request
from flask_jwt_extended import get_current_user, verify_jwt_in_request

from api.errors import ApiError
from api.input_guards import MAX_DB_INT
from shared.models import ADMIN_ROLES, READER_ROLES, Role

ViewT = TypeVar("ViewT", bound=Callable[..., Any])
# Set on views guarded by `roles_required`: the OpenAPI document reads it.
ROLES_ATTRIBUTE = "navai_roles"


def roles_required(*roles: str) -> Callable[[ViewT], ViewT]:
    """Require a valid token whose user has one of `roles` (401 without a token, 403 otherwise)."""
    allowed = frozenset(roles)

    def decorator(view: ViewT) -> ViewT:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()
            role = current_role()
            if role not in allowed:
                raise ApiError(403, f"This action needs one of the roles: {', '.join(sorted(allowed))}",
                               {"role": role})
            return view(*args, **kwargs)

        setattr(wrapper, ROLES_ATTRIBUTE, tuple(sorted(allowed)))
        return wrapper  # type: ignore[return-value]

    return decorator


admin_required = roles_required(*ADMIN_ROLES)
# Reading the whole organization (calls, runs, progress, statistics): admins and MANAGERs.
reader_required = roles_required(*READER_ROLES)


def current_user_id() -> int:
    return int(get_current_user().id)


def current_role() -> str:
    return str(get_current_user().role)


def is_admin() -> bool:
    return current_role() in ADMIN_ROLES


def current_organization_id() -> int:
    """The organization this request acts for: the caller's own, or for a SUPERADMIN the
    `organizationId` query parameter when given."""
    caller = get_current_user()
    if caller.role == Role.SUPERADMIN.value and request.args.get("organizationId"):
        try:
            organization_id = int(request.args["organizationId"])
        except ValueError as exc:
            raise ApiError(400, "organizationId must be an integer") from exc
        if not 1 <= organization_id <= MAX_DB_INT:
            raise ApiError(400, f"organizationId must lie within 1..{MAX_DB_INT}")
        return organization_id
    if caller.organization_id is None:
        raise ApiError(400, "Your user belongs to no organization; a SUPERADMIN can pass ?organizationId=N")
    return int(caller.organization_id)
