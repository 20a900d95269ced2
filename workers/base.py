"""The base class of every task: gives it the worker context (settings, sessions, Redis), runs
leased units under their lease (workers.recovery), and rides out a database restart."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from celery import Task
from sqlalchemy.orm import Session

from shared.db import DB_UNAVAILABLE_ERRORS, db_retry_delay_s, session_scope, DB_RETRY_ATTEMPTS
# Imported here, in the worker's main process, not at a task's first call: each pool process would
# otherwise load the recovery package (and its imports) on its own.
from workers.recovery.unit import run_leased

if TYPE_CHECKING:
    from workers.context import WorkerContext


class NavaiTask(Task):
    abstract = True

    @property
    def ctx(self) -> "WorkerContext":
        return self.app.navai_context  # type: ignore[attr-defined]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.ctx.session_factory) as session:
            yield session

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.id is None:  # called as a plain function, not run by a worker
            return super().__call__(*args, **kwargs)
        return run_leased(self, args, kwargs, lambda: self._run_riding_out_db(args, kwargs))

    def _run_riding_out_db(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """PostgreSQL restarting (every connection dropped, or refused for a while): the task is
        retried with backoff, a bounded number of times, instead of failing its unit."""
        try:
            return self.run(*args, **kwargs)
        except DB_UNAVAILABLE_ERRORS as exc:
            raise self.retry(exc=exc, countdown=db_retry_delay_s(self.request.retries),
                             max_retries=DB_RETRY_ATTEMPTS)
