"""Publishing tasks: `publish_leased` for units of work, `publish` for everything else.

Both are explicit calls; nothing is leased behind the caller's back. `publish_leased` leases the
unit in Redis first (state `queued`, with what it takes to publish it again: task name, ids-only
arguments, queue), then hands the message to the broker; the message's task id is the lease's
token, so the worker that receives it can claim the unit, and an older copy of it can tell it has
been superseded. Every message gets a priority: `NORMAL_PRIORITY` here; units that crash recovery
publishes again go out at `RECOVERY_PRIORITY`, which workers take first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from celery.utils import uuid

from shared.catalog import NORMAL_PRIORITY, queue_of
from shared.leases.store import LeaseStore, RepublishSpec
from shared.units import is_leased, unit_of


class Publisher(Protocol):
    """What publishing needs of a process's `shared.services.Services`: its leases and its Celery app."""

    @property
    def leases(self) -> LeaseStore: ...

    @property
    def celery(self) -> Any: ...


class NotALeasedTask(ValueError):
    """`publish_leased` was given a task that is no unit of work (see `shared.units.UNIT_OF`)."""


class LeasedTaskPublishedPlainly(ValueError):
    """`publish` was given a leased unit's task: it must go through `publish_leased`."""


def publish_leased(svc: Publisher, task: str, *, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None,
                   task_id: str | None = None, countdown: float | None = None, producer: Any = None,
                   **options: Any) -> str:
    """Lease the unit this message works on, then publish it; returns the task id (the lease's token).
    `options`: Celery's own publishing options (e.g. `ignore_result=False`)."""
    if not is_leased(task):
        raise NotALeasedTask(f"{task} is not a leased unit of work; use publish()")
    task_id = task_id or uuid()
    unit = unit_of(task, args, kwargs)
    spec = RepublishSpec(task=task, args=list(args), kwargs=dict(kwargs or {}), queue=queue_of(task))
    svc.leases.register(unit.kind, unit.name, task_id, spec, due_at(countdown))
    _send(svc, task, args, kwargs, task_id, countdown, producer, options)
    return task_id


def publish(svc: Publisher, task: str, *, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None,
            task_id: str | None = None, countdown: float | None = None, producer: Any = None,
            **options: Any) -> str:
    """Publish a task that is no leased unit (a finalizer, beat's entries...); returns its task id."""
    if is_leased(task):
        raise LeasedTaskPublishedPlainly(f"{task} is a leased unit of work; use publish_leased()")
    task_id = task_id or uuid()
    _send(svc, task, args, kwargs, task_id, countdown, producer, options)
    return task_id


def _send(svc: Publisher, task: str, args: Sequence[Any], kwargs: dict[str, Any] | None, task_id: str,
          countdown: float | None, producer: Any, options: dict[str, Any]) -> None:
    svc.celery.send_task(task, args=list(args), kwargs=dict(kwargs or {}), task_id=task_id, countdown=countdown,
                         producer=producer, priority=NORMAL_PRIORITY, **options)


def due_at(countdown: float | None) -> float | None:
    """The epoch second a countdown message becomes due, or None when it is due at once."""
    return time.time() + float(countdown) if countdown else None


def lease_for_retry(svc: Publisher, task: str, args: Sequence[Any], kwargs: dict[str, Any] | None, task_id: str,
                    countdown: float | None) -> None:
    """A leased task retries itself (`Task.retry`): its unit stays leased to the same token, queued
    again and due at the countdown, keeping its attempt count."""
    unit = unit_of(task, args, kwargs)
    spec = RepublishSpec(task=task, args=list(args), kwargs=dict(kwargs or {}), queue=queue_of(task))
    svc.leases.register(unit.kind, unit.name, task_id, spec, due_at(countdown))
