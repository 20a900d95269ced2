"""The `auth=` of routes that take the bearer token from `POST /auth/login`, by who may call them."""

from __future__ import annotations

from api.auth.roles import require_roles
from api.http.access import Access
from api.openapi.security import BEARER
from shared.models import ADMIN_ROLES, READER_ROLES, Role


def signed_in(*roles: str) -> Access:
    """A valid token whose user has one of `roles` (any role when none is named)."""
    allowed = tuple(sorted(roles))
    return Access(scheme=BEARER, roles=allowed, verify=lambda _credential: require_roles(allowed))


SIGNED_IN = signed_in()
ADMIN = signed_in(*ADMIN_ROLES)
# Reading the whole organization (calls, runs, progress, statistics): admins and MANAGERs.
READER = signed_in(*READER_ROLES)
SUPERADMIN = signed_in(Role.SUPERADMIN.value)
