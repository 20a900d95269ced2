"""The base class of every task: gives it the worker context (settings, sessions, Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from celery import Task
from sqlalchemy.orm import Session

from shared.db import session_scope

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
