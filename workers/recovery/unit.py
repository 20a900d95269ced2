"""The task side of a lease: claim it, keep it alive while working, release it when done.

A copy of a message whose unit was handed to another message meanwhile (the broker restoring it
after the visibility timeout, or a worker judged dead that was only slow) finds a token that is not
its own and ends at once without running: the unit runs once at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, Protocol

import redis
from celery.exceptions import Retry

from shared import keys
from shared.catalog import RECOVERY_PRIORITY, RECOVERY_SWEEP
from shared.leases.store import LeaseStore
from shared.services import Services
from shared.units import leased_unit
from workers.recovery.heartbeats import HEARTBEATS


class RunningTask(Protocol):
    """The task a worker is running (`workers.base.NavaiTask`), as far as its lease is concerned."""

    name: str
    request: Any
    app: Any

    @property
    def svc(self) -> Services: ...

log = logging.getLogger("workers.recovery")


def run_leased(task: RunningTask, args: tuple[Any, ...], kwargs: dict[str, Any], body: Callable[[], Any]) -> Any:
    """Run `body` as the unit this message holds; skip it when another message owns the unit."""
    leased = leased_unit(task.name, args, kwargs)
    if leased is None:
        return body()
    store: LeaseStore = task.svc.leases
    kind, unit, token = leased.kind, leased.name, str(task.request.id)
    verdict = store.claim(kind, unit, token, str(task.request.hostname or ""))
    if verdict == "stale":
        log.info("%s %s: superseded by a newer message of the unit; not run", kind, unit)
        return {"unit": unit, "skipped": "superseded"}
    with HEARTBEATS.beating(store, kind, unit, token) if verdict == "ok" else nullcontext():
        try:
            result = body()
        except Retry:
            raise  # NavaiTask.retry leased the unit again, under the same token, for the retry message
        except BaseException:
            store.release(kind, unit, token)
            raise
    store.release(kind, unit, token)
    maybe_sweep(task)
    return result


class _LocalSweepClock:
    """When this process may next ask Redis whether a sweep is due: once per interval per process,
    instead of a Redis round trip after every task (a HEMIS run finishes hundreds a second)."""

    next_try_s = 0.0

    @classmethod
    def due(cls, interval_s: float) -> bool:
        now_s = time.monotonic()
        if now_s < cls.next_try_s:
            return False
        cls.next_try_s = now_s + interval_s
        return True


def maybe_sweep(task: RunningTask) -> None:
    """Tasks drive the sweeper too (not only beat): at most one sweep per interval, cluster-wide."""
    interval_s = task.svc.settings.recovery_sweep_interval_s
    if not _LocalSweepClock.due(interval_s):
        return
    interval_ms = int(interval_s * 1000)
    try:
        if task.svc.redis.set(keys.SWEEP_DUE, "1", nx=True, px=interval_ms):
            task.app.send_task(RECOVERY_SWEEP, priority=RECOVERY_PRIORITY)
    except redis.RedisError as exc:  # the unit is done; the next task or beat sweeps
        log.warning("could not trigger a recovery sweep: %s", exc)
