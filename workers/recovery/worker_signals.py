"""What a worker process does for recovery, connected by `connect_worker_signals` (from `workers.factory`).

- Housekeeping: every worker consumes `HOUSEKEEPING_QUEUE` (the recovery sweep) on top of the
  queues its `-Q` names, so a host started with only the platform's four queues still sweeps.
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
from celery.signals import celeryd_after_setup, task_received, worker_ready, worker_shutting_down

from shared.catalog import HOUSEKEEPING_QUEUE
from shared.units import leased_unit
from workers.recovery import kombu_guard
from workers.recovery.sweeper import SweepReport, hand_back

log = logging.getLogger("workers.recovery")

RENEWALS_PER_PERIOD = 3
MIN_RENEWAL_INTERVAL_S = 0.2
HAND_BACK_WAIT_S = 10.0

_worker: dict[str, Any] = {}  # this process's worker: app, hostname, stop event


def connect_worker_signals() -> None:
    """Connect the handlers once per process (dispatch_uid: building the app twice connects once)."""
    celeryd_after_setup.connect(_consume_housekeeping, weak=False, dispatch_uid="navai-housekeeping-queue")
    worker_ready.connect(_start_liveness, weak=False, dispatch_uid="navai-liveness")
    task_received.connect(_mark_held, weak=False, dispatch_uid="navai-mark-held")
    worker_shutting_down.connect(_hand_back, weak=False, dispatch_uid="navai-hand-back")


def _consume_housekeeping(sender: Any = None, instance: Any = None, **_kwargs: Any) -> None:
    """Celery's documented way to add a queue to a worker at start (`select_add`)."""
    queues = instance.app.amqp.queues
    if HOUSEKEEPING_QUEUE not in queues.consume_from:
        queues.select_add(HOUSEKEEPING_QUEUE)


def _start_liveness(sender: Any = None, **_kwargs: Any) -> None:
    app, hostname = sender.app, sender.hostname
    if not hasattr(app, "navai_services"):
        return
    kombu_guard.install()
    stop = threading.Event()
    _worker.update(app=app, hostname=hostname, stop=stop)
    svc = app.navai_services
    interval_s = max(MIN_RENEWAL_INTERVAL_S, svc.settings.recovery_worker_alive_s / RENEWALS_PER_PERIOD)

    def renew() -> None:
        while True:
            try:
                svc.leases.set_alive(hostname, svc.settings.recovery_worker_alive_s)
            except redis.RedisError as exc:
                log.warning("liveness key not renewed: %s", exc)
            if stop.wait(interval_s):
                return

    threading.Thread(target=renew, name="navai-liveness", daemon=True).start()


def _mark_held(sender: Any = None, request: Any = None, **_kwargs: Any) -> None:
    app = _worker.get("app")
    unit = leased_unit(getattr(request, "name", ""), request.args, request.kwargs) if app is not None else None
    if unit is None:
        return
    try:
        app.navai_services.leases.mark_held(unit.kind, unit.name, request.id, _worker["hostname"])
    except redis.RedisError as exc:  # the unit is still covered by its queued deadline
        log.warning("could not mark %s as held: %s", request.id, exc)


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
    svc = app.navai_services
    report = SweepReport()
    try:
        svc.leases.clear_alive(hostname)
        hand_back(svc, app.navai_recovery, hostname, report, reason=f"its worker {hostname} is shutting down")
    except Exception as exc:  # the sweeper will do it once the liveness key is gone
        log.warning("hand-back on shutdown failed: %s", exc)
    log.warning("[RECOVERY] %s shutting down: handed back %s unit(s)", hostname, len(report.republished))
