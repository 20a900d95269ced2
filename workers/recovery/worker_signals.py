"""What a worker's main process does for recovery.

- Liveness: a thread renews `alive:<worker name>` every third of RECOVERY_WORKER_ALIVE_S; when a
  worker is killed (`kill -9`, OOM, host lost) the key expires and the sweeper publishes its units
  again, including messages it had reserved and countdowns it kept in memory.
- Held: when the worker receives a leased unit's message, the lease records it as the holder.
- Hand-back: on SIGTERM (warm shutdown, a deploy) the worker publishes again at once every unit it
  holds or runs, instead of leaving them to a timeout. A task still running on it may finish
  there too: units are idempotent, and its lease no longer being its own, it releases nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from celery.signals import task_received, worker_ready, worker_shutting_down

from workers.recovery import kombu_guard
from workers.recovery.registry import leased_task

log = logging.getLogger("workers.recovery")

RENEWALS_PER_PERIOD = 3
HAND_BACK_WAIT_S = 10.0

_worker: dict[str, Any] = {}  # this process's worker: app, hostname, stop event


@worker_ready.connect
def _start_liveness(sender: Any = None, **_kwargs: Any) -> None:
    app, hostname = sender.app, sender.hostname
    if not hasattr(app, "navai_context"):
        return
    kombu_guard.install()
    stop = threading.Event()
    _worker.update(app=app, hostname=hostname, stop=stop)
    ctx = app.navai_context
    interval_s = max(0.2, ctx.settings.recovery_worker_alive_s / RENEWALS_PER_PERIOD)

    def renew() -> None:
        while True:
            try:
                ctx.leases.set_alive(hostname, ctx.settings.recovery_worker_alive_s)
            except redis.RedisError as exc:
                log.warning("liveness key not renewed: %s", exc)
            if stop.wait(interval_s):
                return

    threading.Thread(target=renew, name="navai-liveness", daemon=True).start()


@task_received.connect
def _mark_held(sender: Any = None, request: Any = None, **_kwargs: Any) -> None:
    entry = leased_task(getattr(request, "name", ""))
    app = _worker.get("app")
    if entry is None or app is None:
        return
    try:
        unit = entry.unit(request.args, request.kwargs)
        app.navai_context.leases.mark_held(entry.kind, unit, request.id, _worker["hostname"])
    except redis.RedisError as exc:  # the unit is still covered by its queued deadline
        log.warning("could not mark %s as held: %s", request.id, exc)


@worker_shutting_down.connect
def _hand_back(sender: Any = None, how: str = "", **_kwargs: Any) -> None:
    app, hostname = _worker.get("app"), _worker.get("hostname")
    if app is None:
        return
    _worker["stop"].set()
    # From a thread: this runs inside the signal handler, which may have interrupted a Redis call.
    thread = threading.Thread(target=_hand_back_now, args=(app, hostname), name="navai-hand-back", daemon=True)
    thread.start()
    thread.join(HAND_BACK_WAIT_S)


def _hand_back_now(app: Any, hostname: str) -> None:
    from workers.recovery.sweeper import SweepReport, hand_back

    ctx = app.navai_context
    report = SweepReport()
    try:
        ctx.leases.clear_alive(hostname)
        hand_back(ctx, app, hostname, report, reason=f"its worker {hostname} is shutting down")
    except Exception as exc:  # the sweeper will do it once the liveness key is gone
        log.warning("hand-back on shutdown failed: %s", exc)
    log.warning("[RECOVERY] %s shutting down: handed back %s unit(s)", hostname, len(report.republished))
