"""Which tasks are leased units of work, and what giving one up means for its run.

Each feature declares its units next to its tasks, e.g.
`lease_task("hemis.sync_page", kind="hemis", unit_of=lambda kind, run_id, page: f"{run_id}:{page}")`:
`unit_of` takes the task's own arguments and names the unit (unique within the kind).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    from shared.inflight import RepublishSpec
    from workers.context import WorkerContext

Abandon = Callable[["WorkerContext", "Celery", "RepublishSpec", str], None]


@dataclass(frozen=True)
class LeasedTask:
    name: str
    kind: str
    unit_of: Callable[..., str]
    abandon: Abandon | None = None  # record the unit as failed once it is given up

    def unit(self, args: Any, kwargs: Any) -> str:
        return str(self.unit_of(*(args or ()), **(kwargs or {})))


_BY_NAME: dict[str, LeasedTask] = {}


def lease_task(name: str, *, kind: str, unit_of: Callable[..., str], abandon: Abandon | None = None) -> None:
    _BY_NAME[name] = LeasedTask(name, kind, unit_of, abandon)


def leased_task(name: str) -> LeasedTask | None:
    return _BY_NAME.get(name)
