"""The Celery app of navai-sync: every publish of a leased unit leases it first.

`send_task` is the one path every publish takes (`task.delay`, `apply_async`, `self.retry`, chains,
`app.send_task`), so the lease is written whoever publishes: the API, beat, a task, its retry, or
the sweeper. The message's task id is the lease's token. Messages also get a priority: ordinary
ones `NORMAL_PRIORITY`, units published again by recovery `RECOVERY_PRIORITY`, which workers take
first (kombu's Redis transport serves priority 0 before the others), so recovered work does not
wait behind a long backlog.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from celery import Celery
from celery.utils import uuid

from shared.inflight import RepublishSpec
from workers.recovery.registry import leased_task

NORMAL_PRIORITY = 3
RECOVERY_PRIORITY = 0


class NavaiCelery(Celery):
    def send_task(self, name: str, args: Any = None, kwargs: Any = None, countdown: float | None = None,
                  eta: datetime | None = None, task_id: str | None = None, **options: Any) -> Any:
        if options.get("priority") is None:
            options["priority"] = NORMAL_PRIORITY
        entry = leased_task(name)
        if entry is not None:
            task_id = task_id or uuid()
            spec = RepublishSpec(task=name, args=list(args or ()), kwargs=dict(kwargs or {}),
                                 queue=str(options.get("queue") or queue_of(self, name)),
                                 chain=_plain(options.get("chain")))
            self.navai_context.leases.register(  # type: ignore[attr-defined]
                entry.kind, entry.unit(args, kwargs), task_id, spec, due_at(countdown, eta))
        return super().send_task(name, args, kwargs, countdown=countdown, eta=eta, task_id=task_id, **options)


def due_at(countdown: float | None, eta: datetime | str | None) -> float | None:
    """The epoch second a countdown/ETA message becomes due, or None when it is due at once."""
    if countdown:
        return time.time() + float(countdown)
    if isinstance(eta, datetime):
        return eta.timestamp()
    if isinstance(eta, str):
        return datetime.fromisoformat(eta).timestamp()
    return None


def queue_of(app: Celery, name: str) -> str:
    """The queue `task_routes` sends `name` to (patterns like `hemis.*`), else the default queue."""
    for pattern, route in (app.conf.task_routes or {}).items():
        if pattern == name or (pattern.endswith("*") and name.startswith(pattern[:-1])):
            return str(route.get("queue") or app.conf.task_default_queue)
    return str(app.conf.task_default_queue)


def _plain(chain: Any) -> list[Any]:
    """The rest of a chain (signatures are dicts), kept so a republished first step still leads on."""
    return [dict(signature) for signature in chain] if chain else []
