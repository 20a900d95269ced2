"""The credential version: what ends a user's tokens when their credentials change.

Every token carries its user's `credential_version` as a claim. Changing the password, the email,
the role or the organization, or the user's activity, bumps the version in the database, and the
per-request user load (`api.auth.routes`) refuses with 401 any token whose claim differs, on
every API process at once (the version lives in PostgreSQL, read on every request anyway). A
reactivated user's old tokens stay dead: deactivation bumped the version already.

A token without the claim (issued before this release) counts as version 0, the version every
user started at, so the upgrade logs nobody out; the first change of credentials ends it.
"""

from __future__ import annotations

from typing import Any

from api.http.errors import ApiError
from shared.models import User

CREDENTIAL_VERSION_CLAIM = "credential_version"
# What a token issued before the claim existed carries (the column's default).
UNVERSIONED_TOKEN_VERSION = 0
STALE_TOKEN = "This token was issued before the user's credentials changed; log in again"


def token_claims(user: User) -> dict[str, Any]:
    """The additional claims of a token for `user` (role, organization and email are informative
    only: the request's user is loaded from the database)."""
    return {"role": user.role, "org_id": user.organization_id, "email": user.email,
            CREDENTIAL_VERSION_CLAIM: user.credential_version}


def require_current_version(payload: dict[str, Any], user: User) -> None:
    """401 unless the token's credential version is the user's current one."""
    claimed = payload.get(CREDENTIAL_VERSION_CLAIM, UNVERSIONED_TOKEN_VERSION)
    # `bool` is an `int` in Python; a claim of `true` is not a version.
    if isinstance(claimed, bool) or not isinstance(claimed, int) or claimed != user.credential_version:
        raise ApiError(401, STALE_TOKEN)


def bump_credential_version(user: User) -> None:
    """End every token issued to `user` so far. The caller holds the user's row lock (the
    change that bumps is written in the same transaction), so concurrent bumps do not merge."""
    user.credential_version = (user.credential_version or UNVERSIONED_TOKEN_VERSION) + 1
