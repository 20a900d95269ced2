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
from typing import TYPE_CHECKING, Any

import redis
from celery.exceptions import Retry

from shared.inflight import PREFIX, LeaseStore
from workers.recovery.heartbeats import HEARTBEATS
from workers.recovery.publishing import RECOVERY_PRIORITY
from workers.recovery.registry import leased_task

if TYPE_CHECKING:
    from workers.base import NavaiTask

log = logging.getLogger("workers.recovery")

SWEEP_TASK = "recovery.sweep"
SWEEP_DUE_KEY = f"{PREFIX}sweep-due"


def run_leased(task: "NavaiTask", args: tuple[Any, ...], kwargs: dict[str, Any], body: Callable[[], Any]) -> Any:
    """Run `body` as the unit this message holds; skip it when another message owns the unit."""
    entry = leased_task(task.name)
    if entry is None:
        return body()
    store: LeaseStore = task.ctx.leases
    unit, token = entry.unit(args, kwargs), str(task.request.id)
    verdict = store.claim(entry.kind, unit, token, str(task.request.hostname or ""))
    if verdict == "stale":
        log.info("%s %s: superseded by a newer message of the unit; not run", entry.kind, unit)
        return {"unit": unit, "skipped": "superseded"}
    with HEARTBEATS.beating(store, entry.kind, unit, token) if verdict == "ok" else nullcontext():
        try:
            result = body()
        except Retry:
            raise  # the retry message leased the unit again under the same token
        except BaseException:
            store.release(entry.kind, unit, token)
            raise
    store.release(entry.kind, unit, token)
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


def maybe_sweep(task: "NavaiTask") -> None:
    """Tasks drive the sweeper too (not only beat): at most one sweep per interval, cluster-wide."""
    interval_s = task.ctx.settings.recovery_sweep_interval_s
    if not _LocalSweepClock.due(interval_s):
        return
    interval_ms = int(interval_s * 1000)
    try:
        if task.ctx.redis.set(SWEEP_DUE_KEY, "1", nx=True, px=interval_ms):
            task.app.send_task(SWEEP_TASK, priority=RECOVERY_PRIORITY)
    except redis.RedisError as exc:  # the unit is done; the next task or beat sweeps
        log.warning("could not trigger a recovery sweep: %s", exc)
