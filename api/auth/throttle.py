"""Login throttle, shared by every API process through Redis (Flask-Limiter's `limits` storage).

Failed logins are counted per (account, client address) and per client address. Once either count
is full, attempts from that address (for that account, or for any account) answer 429 with
`Retry-After` until the window has passed, even with the right password. The account itself is
never locked: the right password from an address that has not failed gets in, so nobody can lock
a user out by failing on their email from elsewhere. A successful login clears its (account,
address) count, not the address's.

The account is the email as typed, whether or not it exists, so a 429 tells an attacker nothing
about which emails are real. The client address is the connection's, or behind `TRUSTED_PROXIES`
proxies the one `ProxyFix` took from `X-Forwarded-For` (see `api.create_app`).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse

from api.http.errors import ApiError
from shared import keys
from shared.redis_url import RedisTarget, limits_storage

FAILED_LOGINS_PER_ACCOUNT_AND_ADDRESS = "10 per 15 minutes"
FAILED_LOGINS_PER_ADDRESS = "50 per 15 minutes"
LIMITER_EXTENSION_KEY = "navai_login_limiter"
UNKNOWN_ADDRESS = "unknown"
ACCOUNT_DIGEST_CHARS = 32

Bucket = tuple[RateLimitItem, tuple[str, ...]]


def client_address() -> str:
    """The request's client address (after `ProxyFix`, when proxies are trusted)."""
    return request.remote_addr or UNKNOWN_ADDRESS


@dataclass(frozen=True)
class LoginThrottle:
    limiter: Limiter
    per_account_address: RateLimitItem
    per_address: RateLimitItem

    def check(self, email: str) -> None:
        """Answer 429 (with Retry-After) when this address has used its failures, for this account
        or for all accounts."""
        for item, identity in self._buckets(email):
            if not self.limiter.limiter.test(item, *identity):
                reset_at, _remaining = self.limiter.limiter.get_window_stats(item, *identity)
                retry_after_s = max(1, math.ceil(reset_at - time.time()))
                raise ApiError(429, "Too many failed logins; try again later",
                               {"retryAfterS": retry_after_s}, headers={"Retry-After": str(retry_after_s)})

    def failed(self, email: str) -> None:
        for item, identity in self._buckets(email):
            self.limiter.limiter.hit(item, *identity)

    def succeeded(self, email: str) -> None:
        item, identity = self._buckets(email)[0]
        self.limiter.limiter.clear(item, *identity)

    def _buckets(self, email: str) -> list[Bucket]:
        address = client_address()
        # Hashed, so that the Redis keys hold no email addresses.
        pair = hashlib.sha256(f"{email}\n{address}".encode()).hexdigest()[:ACCOUNT_DIGEST_CHARS]
        return [(self.per_account_address, ("account-address", pair)), (self.per_address, ("address", address))]


def init_login_throttle(app: Flask, redis: RedisTarget) -> None:
    # No default limits: only the login view (and checks of a current password) consult the limiter,
    # explicitly. `limits` prefixes its keys with the storage's `key_prefix` (Flask-Limiter's own
    # `key_prefix` is for decorated routes only): the deployment's Redis prefix, from shared.keys.
    limiter = Limiter(client_address, app=app, strategy="moving-window",
                      **limits_storage(redis, key_prefix=keys.LOGIN_THROTTLE_PREFIX),
                      default_limits=[], headers_enabled=False)
    app.extensions[LIMITER_EXTENSION_KEY] = LoginThrottle(limiter, parse(FAILED_LOGINS_PER_ACCOUNT_AND_ADDRESS),
                                                          parse(FAILED_LOGINS_PER_ADDRESS))


def login_throttle() -> LoginThrottle:
    return current_app.extensions[LIMITER_EXTENSION_KEY]
