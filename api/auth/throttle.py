"""Login throttle, shared by every API process through Redis (Flask-Limiter's storage).

Failed logins are counted per account (the email, whether or not it exists, so a 429 tells an
attacker nothing about which emails are real) and per client address. Once either count is
full, every attempt answers 429 with `Retry-After` until the window has passed, even with the
right password. A successful login clears its account's count (not the address's).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from api.http.errors import ApiError
from shared import keys

FAILED_LOGINS_PER_EMAIL = "10 per 15 minutes"
FAILED_LOGINS_PER_ADDRESS = "50 per 15 minutes"
LIMITER_EXTENSION_KEY = "navai_login_limiter"


@dataclass(frozen=True)
class LoginThrottle:
    limiter: Limiter
    per_email: RateLimitItem
    per_address: RateLimitItem

    def check(self, email: str) -> None:
        """Answer 429 (with Retry-After) when the account or the address has used its failures."""
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

    def _buckets(self, email: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        # The email is hashed so that the Redis keys hold no addresses.
        account = hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]
        return [(self.per_email, ("email", account)),
                (self.per_address, ("address", get_remote_address() or "unknown"))]


def init_login_throttle(app: Flask, redis_url: str) -> None:
    # No default limits: only the login view consults the limiter, explicitly.
    limiter = Limiter(get_remote_address, app=app, storage_uri=redis_url, strategy="moving-window",
                      key_prefix=keys.LOGIN_THROTTLE_PREFIX, default_limits=[], headers_enabled=False)
    app.extensions[LIMITER_EXTENSION_KEY] = LoginThrottle(limiter, parse(FAILED_LOGINS_PER_EMAIL),
                                                          parse(FAILED_LOGINS_PER_ADDRESS))


def login_throttle() -> LoginThrottle:
    return current_app.extensions[LIMITER_EXTENSION_KEY]



