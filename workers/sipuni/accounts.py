"""Which Sipuni account an organization syncs with, remembered briefly per worker process.

A step-2 run asks for the same organization's account once per call, thousands of times a
minute; a short-lived cache saves a database round trip on each of them. The secret stays in the
worker's memory only: it never travels in task messages, which Flower displays.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from shared.models import Organization
from shared.settings import Settings

ACCOUNT_CACHE_TTL_S = 30.0  # a changed account is picked up within this long


@dataclass(frozen=True)
class SipuniAccount:
    user: str  # "" when neither the organization nor the deployment has one
    secret: str


class UnknownOrganization(LookupError):
    """No organization has this id."""


class AccountCache:
    def __init__(self, ttl_s: float = ACCOUNT_CACHE_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[int, tuple[float, SipuniAccount]] = {}
        self._lock = threading.Lock()

    def account(self, organization_id: int, settings: Settings,
                open_session: Callable[[], AbstractContextManager[Session]]) -> SipuniAccount:
        """The organization's own account, else the deployment's (SIPUNI_USER / SIPUNI_SECRET)."""
        now = self._clock()
        with self._lock:
            cached = self._entries.get(organization_id)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        with open_session() as session:
            organization = session.get(Organization, organization_id)
            if organization is None:
                raise UnknownOrganization(f"organization {organization_id} does not exist")
            account = SipuniAccount(user=organization.sipuni_user or settings.sipuni_user or "",
                                    secret=organization.sipuni_secret or settings.sipuni_secret or "")
        with self._lock:
            self._entries[organization_id] = (now, account)
        return account
