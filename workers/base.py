"""The base class of every task: gives it the process's `Services` (`self.svc`), runs leased units
under their lease (`workers.recovery.unit`), and rides out a database restart with Celery's own
`autoretry_for` / `retry_backoff` / `retry_jitter`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from celery import Task
from sqlalchemy.orm import Session

from shared.db import (
    DB_RETRY_ATTEMPTS,
    DB_RETRY_BASE_DELAY_S,
    DB_RETRY_MAX_DELAY_S,
    DB_UNAVAILABLE_ERRORS,
    session_scope,
)
from shared.leases.publish import lease_for_retry
from shared.units import is_leased

# Imported here, in the worker's main process, not at a task's first call: each pool process would
# otherwise load the recovery package (and its imports) on its own.
from workers.recovery.unit import run_leased

if TYPE_CHECKING:
    from shared.services import Services


class NavaiTask(Task):
    abstract = True
    # PostgreSQL restarting (every connection dropped, or refused for a while): the task is retried
    # with exponential backoff and full jitter, a bounded number of times, instead of failing its unit.
    autoretry_for = DB_UNAVAILABLE_ERRORS
    retry_backoff = DB_RETRY_BASE_DELAY_S
    retry_backoff_max = DB_RETRY_MAX_DELAY_S
    retry_jitter = True
    retry_kwargs = {"max_retries": DB_RETRY_ATTEMPTS}

    @property
    def svc(self) -> "Services":
        return self.app.navai_services  # type: ignore[attr-defined]

    def session(self) -> AbstractContextManager[Session]:
        """One unit of work on the database: commit on success, roll back on any error."""
        return session_scope(self.svc.session_factory)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.id is None:  # called as a plain function, not run by a worker
            return super().__call__(*args, **kwargs)
        return run_leased(self, args, kwargs, lambda: super(NavaiTask, self).__call__(*args, **kwargs))

    def retry(self, args: Any = None, kwargs: Any = None, exc: BaseException | None = None, throw: bool = True,
              eta: datetime | None = None, countdown: float | None = None, max_retries: int | None = None,
              **options: Any) -> Any:
        """A leased unit's retry message keeps the unit's lease (same token), now due at its countdown:
        if the worker holding the delayed message dies, the sweeper publishes it again when due."""
        if self.request.id is not None and is_leased(self.name):
            delay_s = countdown if countdown is not None else self._delay_until(eta)
            lease_for_retry(self.svc, self.name, self.request.args if args is None else args,
                            self.request.kwargs if kwargs is None else kwargs, self.request.id, delay_s)
        return super().retry(args=args, kwargs=kwargs, exc=exc, throw=throw, eta=eta, countdown=countdown,
                             max_retries=max_retries, **options)

    def _delay_until(self, eta: datetime | None) -> float:
        if eta is None:
            return float(self.default_retry_delay or 0)
        return max(0.0, eta.timestamp() - datetime.now(eta.tzinfo).timestamp())
