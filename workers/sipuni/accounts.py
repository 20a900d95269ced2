"""Which Sipuni account an organization syncs with, remembered briefly per worker process
(`workers.upstream.tenant_cache`), and a client for it. The rule itself
(own account, or the deployment's only for a single-organization deployment) is
`shared.sipuni_account.resolve_account`, which the API applies too.
"""

from __future__ import annotations

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
from workers.upstream.tenant_cache import TENANT_CACHE_TTL_S, TenantCache

__all__ = ["ACCOUNT_CACHE_TTL_S", "AccountCache", "AccountMissing", "SipuniAccount", "UnknownOrganization",
           "client_for"]

ACCOUNT_CACHE_TTL_S = TENANT_CACHE_TTL_S  # a changed account is picked up within this long
RATE_LIMIT_NAME = "sipuni"  # one request budget for the deployment's Sipuni traffic
UPSTREAM_NAME = "sipuni"


class AccountCache(TenantCache[SipuniAccount]):
    """The organization's account (`resolve_account`); `AccountMissing` when it may use none."""

    def __init__(self, ttl_s: float = ACCOUNT_CACHE_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(resolve_account, ttl_s, clock)

    def account(self, organization_id: int, settings: Settings,
                open_session: Callable[[], AbstractContextManager[Session]]) -> SipuniAccount:
        return self.get(organization_id, settings, open_session)


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
