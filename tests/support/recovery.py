"""Watching recovery from the outside: which units a worker holds, and when others run them."""

from __future__ import annotations

import time

from shared.leases.store import HELD, RUNNING, LeaseStore
from shared.redis_client import make_redis
from shared.settings import Settings

RECOVERY_BOUND_S = 60.0  # the bound: a dead worker's work runs again on the others within a minute
POLL_S = 0.1


def lease_store(settings: Settings) -> LeaseStore:
    return LeaseStore(make_redis(settings.redis_url), lease_s=settings.recovery_lease_s,
                      queued_grace_s=settings.recovery_queued_grace_s)


def wait_for_held(store: LeaseStore, holder: str, timeout_s: float = 60.0) -> list[tuple[str, str]]:
    """Until `holder` holds at least one unit; returns them."""
    deadline = time.monotonic() + timeout_s
    while not (units := store.held_by(holder)):
        assert time.monotonic() < deadline, f"{holder} never held a unit"
        time.sleep(POLL_S / 2)
    return units


def seconds_until_taken_over(store: LeaseStore, units: list[tuple[str, str]], dead: str, since: float,
                             timeout_s: float = RECOVERY_BOUND_S + 30) -> float:
    """Seconds from `since` (monotonic) until every unit `dead` held is done (no lease) or held or
    run by another worker."""
    waiting = set(units)
    while waiting:
        for kind, unit in list(waiting):
            lease = store.get(kind, unit)
            if lease is None or (lease.holder not in ("", dead) and lease.state in (HELD, RUNNING)):
                waiting.discard((kind, unit))
        assert time.monotonic() - since < timeout_s, f"not taken over: {sorted(waiting)}"
        if waiting:
            time.sleep(POLL_S)
    return time.monotonic() - since
