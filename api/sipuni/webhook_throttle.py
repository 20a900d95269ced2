"""Wrong webhook keys, throttled per client address, shared by every API process through Redis
(`limits`' moving window, as the login throttle counts failed logins).

Every missing or wrong `X-API-Key` counts against the caller's address. Once an address has
FAILED_KEYS_PER_ADDRESS in the window, every webhook call from it answers 429 with `Retry-After`
until the window has room again, with the right key as well: were the right key let through, the
answer would tell a right guess from a wrong one and the throttle would slow nothing. A key has
24+ random characters, so guessing is hopeless anyway; the throttle bounds what trying costs
(a hash and an indexed lookup per try) and turns a misconfigured caller into a clear 429.
The address is the connection's, or behind `TRUSTED_PROXIES` the one `ProxyFix` took from
`X-Forwarded-For` (the same as the login throttle's).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.auth.throttle import client_address
from api.http.errors import ApiError
from shared import keys
from shared.redis_url import RedisTarget, limits_storage

FAILED_KEYS_PER_ADDRESS = "20 per minute"
EXTENSION_KEY = "navai_webhook_key_throttle"
BUCKET = "address"


@dataclass(frozen=True)
class WebhookKeyThrottle:
    limiter: MovingWindowRateLimiter
    per_address: RateLimitItem

    def check(self) -> None:
        """Answer 429 (with Retry-After) when the caller's address has used its failures."""
        address = client_address()
        if self.limiter.test(self.per_address, BUCKET, address):
            return
        reset_at, _remaining = self.limiter.get_window_stats(self.per_address, BUCKET, address)
        retry_after_s = max(1, math.ceil(reset_at - time.time()))
        raise ApiError(429, "Too many wrong webhook keys from this address; try again later",
                       {"retryAfterS": retry_after_s}, headers={"Retry-After": str(retry_after_s)})

    def failed(self) -> None:
        self.limiter.hit(self.per_address, BUCKET, client_address())


def init_webhook_throttle(app: Flask, redis: RedisTarget) -> None:
    """The throttle's `limits` storage, under the deployment's Redis prefix (`shared.keys`)."""
    storage = limits_storage(redis, key_prefix=keys.WEBHOOK_KEY_THROTTLE_PREFIX)
    limiter = MovingWindowRateLimiter(storage_from_string(storage["storage_uri"], **storage["storage_options"]))
    app.extensions[EXTENSION_KEY] = WebhookKeyThrottle(limiter, parse(FAILED_KEYS_PER_ADDRESS))


def webhook_key_throttle() -> WebhookKeyThrottle:
    return current_app.extensions[EXTENSION_KEY]
