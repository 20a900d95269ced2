"""Role checks for views, and the organization a request acts for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request
from flask_jwt_extended import get_jwt, get_jwt_identity, verify_jwt_in_request

from api.errors import ApiError
from shared.models import ADMIN_ROLES, READER_ROLES, Role

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


def roles_required(*roles: str) -> Callable[[ViewT], ViewT]:
    """Require a valid token whose role is one of `roles` (401 without a token, 403 otherwise)."""
    allowed = frozenset(roles)

    def decorator(view: ViewT) -> ViewT:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()
            role = get_jwt().get("role")
            if role not in allowed:
                raise ApiError(403, f"This action needs one of the roles: {', '.join(sorted(allowed))}",
                               {"role": role})
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


admin_required = roles_required(*ADMIN_ROLES)
# Reading the whole organization (calls, runs, progress, statistics): admins and MANAGERs.
reader_required = roles_required(*READER_ROLES)


def current_user_id() -> int:
    return int(get_jwt_identity())


def current_role() -> str:
    return str(get_jwt().get("role"))


def current_organization_id() -> int:
    """The organization this request acts for: the caller's own, or for a SUPERADMIN the
    `organizationId` query parameter when given."""
    claims = get_jwt()
    if claims.get("role") == Role.SUPERADMIN.value and request.args.get("organizationId"):
        try:
            return int(request.args["organizationId"])
        except ValueError as exc:
            raise ApiError(400, "organizationId must be an integer") from exc
    org_id = claims.get("org_id")
    if org_id is None:
        raise ApiError(400, "Your user belongs to no organization; a SUPERADMIN can pass ?organizationId=N")
    return int(org_id)
