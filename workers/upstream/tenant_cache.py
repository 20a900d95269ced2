"""What an organization's upstream is (its Sipuni account), remembered briefly per worker process.

A step-2 run asks for the same organization's account once per call, thousands of times a minute;
a short-lived cache saves a database round trip on each. (A HEMIS page, 200 records, reads its
organization's HEMIS afresh: the read is nothing beside the page.) What is cached (a secret among it) stays
in the worker's memory only: it never travels in task messages, which Flower displays. A lookup
that raises (no such organization, no upstream) is never cached, so setting it takes effect at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from shared.settings import Settings

T = TypeVar("T")
TENANT_CACHE_TTL_S = 30.0  # a changed account or HEMIS is picked up within this long


class TenantCache(Generic[T]):
    def __init__(self, resolve: Callable[[Session, int, Settings], T], ttl_s: float = TENANT_CACHE_TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._resolve = resolve
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[int, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, organization_id: int, settings: Settings,
            open_session: Callable[[], AbstractContextManager[Session]]) -> T:
        now = self._clock()
        with self._lock:
            cached = self._entries.get(organization_id)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        with open_session() as session:
            value = self._resolve(session, organization_id, settings)
        with self._lock:
            self._entries[organization_id] = (now, value)
        return value
