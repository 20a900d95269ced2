"""The task side of a lease: claim it, keep it alive while working, release it when done.

A copy of a message whose unit was handed to another message meanwhile (the broker restoring it
after the visibility timeout, or a worker judged dead that was only slow) finds a token that is not
its own and ends at once without running: the unit runs once at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import redis
from celery.exceptions import Retry

from shared.inflight import PREFIX, LeaseStore
from workers.recovery.publishing import RECOVERY_PRIORITY
from workers.recovery.registry import leased_task

if TYPE_CHECKING:
    from workers.base import NavaiTask

log = logging.getLogger("workers.recovery")

HEARTBEATS_PER_LEASE = 3  # renew three times per lease period: one missed beat is harmless
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
    with heartbeat(store, entry.kind, unit, token) if verdict == "ok" else _nothing():
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


@contextmanager
def heartbeat(store: LeaseStore, kind: str, unit: str, token: str) -> Iterator[None]:
    """Renew the lease from a thread until the block ends; a killed process stops renewing it."""
    stop = threading.Event()
    interval_s = max(0.2, store.lease_s / HEARTBEATS_PER_LEASE)

    def keep_beating() -> None:
        while not stop.wait(interval_s):
            try:
                if not store.beat(kind, unit, token):
                    log.warning("%s %s: the unit was handed to another message; this copy goes on unleased",
                                kind, unit)
                    return
            except redis.RedisError:
                pass  # Redis away for a moment: a missed beat at worst publishes the unit once more

    thread = threading.Thread(target=keep_beating, name=f"lease-{kind}-{unit}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def maybe_sweep(task: "NavaiTask") -> None:
    """Tasks drive the sweeper too (not only beat): at most one sweep per interval, cluster-wide."""
    interval_ms = int(task.ctx.settings.recovery_sweep_interval_s * 1000)
    try:
        if task.ctx.redis.set(SWEEP_DUE_KEY, "1", nx=True, px=interval_ms):
            task.app.send_task(SWEEP_TASK, priority=RECOVERY_PRIORITY)
    except redis.RedisError as exc:  # the unit is done; the next task or beat sweeps
        log.warning("could not trigger a recovery sweep: %s", exc)
