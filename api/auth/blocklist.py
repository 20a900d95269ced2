"""Revoked tokens: the `jti` of every logged-out token, kept in Redis until the token would expire.

Every API process shares the list through Redis, so a logout holds on all of them at once; the
entry expires with the token, so the list never grows beyond the tokens still alive.
"""

from __future__ import annotations

import time

import redis

from shared import keys

MIN_ENTRY_TTL_S = 1


def revoke(client: redis.Redis, jti: str, expires_at: int) -> None:
    """Block `jti` until `expires_at` (epoch seconds, the token's `exp`)."""
    ttl_s = max(MIN_ENTRY_TTL_S, int(expires_at - time.time()) + 1)
    client.set(keys.revoked_token(jti), "1", ex=ttl_s)


def is_revoked(client: redis.Redis, jti: str | None) -> bool:
    return jti is None or bool(client.exists(keys.revoked_token(jti)))
