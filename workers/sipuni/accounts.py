"""Which Sipuni account an organization syncs with, remembered briefly per worker process, and a
client for it.

A step-2 run asks for the same organization's account once per call, thousands of times a
minute; a short-lived cache saves a database round trip on each of them. The secret stays in the
worker's memory only: it never travels in task messages, which Flower displays. The rule itself
(own account, or the deployment's only for a single-organization deployment) is
`shared.sipuni_account.resolve_account`, which the API applies too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from shared.metrics import UpstreamMeter
from shared.services import Services
from shared.settings import Settings
from shared.sipuni.account import AccountMissing, SipuniAccount, UnknownOrganization, resolve_account
from workers.ratelimit.slots import RateLimiter
from workers.sipuni.client import SipuniClient
from workers.upstream.http import RetryPolicy, UpstreamRejected, keep_alive_session

__all__ = ["ACCOUNT_CACHE_TTL_S", "AccountCache", "AccountMissing", "SipuniAccount", "UnknownOrganization",
           "client_for"]

ACCOUNT_CACHE_TTL_S = 30.0  # a changed account is picked up within this long
RATE_LIMIT_NAME = "sipuni"  # one request budget for the deployment's Sipuni traffic
UPSTREAM_NAME = "sipuni"


class AccountCache:
    def __init__(self, ttl_s: float = ACCOUNT_CACHE_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[int, tuple[float, SipuniAccount]] = {}
        self._lock = threading.Lock()

    def account(self, organization_id: int, settings: Settings,
                open_session: Callable[[], AbstractContextManager[Session]]) -> SipuniAccount:
        """The organization's account; `AccountMissing` when it may use none (never cached, so that
        setting the account takes effect at once)."""
        now = self._clock()
        with self._lock:
            cached = self._entries.get(organization_id)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        with open_session() as session:
            account = resolve_account(session, organization_id, settings)
        with self._lock:
            self._entries[organization_id] = (now, account)
        return account


_ACCOUNTS = AccountCache()


def client_for(svc: Services, organization_id: int, policy: RetryPolicy) -> SipuniClient:
    """A client for the organization's Sipuni account (the deployment's only for a single-organization
    deployment), on this thread's keep-alive session and the deployment's Sipuni rate limit;
    `UpstreamRejected`, so nothing is fetched, when it may use none."""
    settings = svc.settings
    try:
        account = _ACCOUNTS.account(organization_id, settings, svc.session)
    except (UnknownOrganization, AccountMissing) as exc:
        raise UpstreamRejected(str(exc)) from exc
    limiter = RateLimiter(svc.redis, RATE_LIMIT_NAME, settings.sipuni_rate_limit)
    return SipuniClient(settings.sipuni_api_url, account.user, account.secret, http=keep_alive_session(),
                        limiter=limiter, policy=policy, meter=UpstreamMeter(svc.redis, UPSTREAM_NAME))
