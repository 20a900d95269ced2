"""The one way dependencies reach code: a `Services` object per process role.

The API's app factory, the CLI and the Celery app factory each build one from `Settings`; views
reach it with `api.http.services.services()`, tasks with `self.svc`, and every function below
them takes it as an argument (`svc`). Everything is built lazily, in the process that uses it: an
engine or a socket made before a prefork pool forks would be shared by the children, which
corrupts connections, so a forked child drops what its parent built (`after_fork`).
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from functools import cached_property
from typing import Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.db import engine_for, make_session_factory, session_scope
from shared.leases.store import LeaseStore
from shared.redis_client import make_redis
from shared.runs.progress import ProgressStore
from shared.settings import Settings
from shared.storage import Storage, make_storage

_BUILT_PER_PROCESS = ("engine", "session_factory", "redis", "progress", "storage", "leases")


class Services:
    """Settings, database, Redis, storage, leases and the Celery app (to publish tasks)."""

    def __init__(self, settings: Settings, celery: Any) -> None:
        self.settings = settings
        self.celery = celery
        self._pid = os.getpid()

    @cached_property
    def engine(self) -> Engine:
        """DATABASE_URL (PostgreSQL or a PgBouncer), pooled per DATABASE_POOL_SIZE / DATABASE_MAX_OVERFLOW."""
        return engine_for(self.settings)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def redis(self) -> redis.Redis:
        return make_redis(self.settings.redis_target)

    @cached_property
    def progress(self) -> ProgressStore:
        return ProgressStore(self.redis)

    @cached_property
    def storage(self) -> Storage:
        """Where CSVs and recordings live (STORAGE_URL); its S3 client is made per process."""
        return make_storage(self.settings)

    @cached_property
    def leases(self) -> LeaseStore:
        return LeaseStore(self.redis, lease_s=self.settings.recovery_lease_s,
                          queued_grace_s=self.settings.recovery_queued_grace_s)

    def session(self) -> AbstractContextManager[Session]:
        """One unit of work on the database: commit on success, roll back on any error."""
        return session_scope(self.session_factory)

    def after_fork(self) -> None:
        """In a forked child: forget what the parent built; the child builds its own on first use."""
        if os.getpid() != self._pid:
            for name in _BUILT_PER_PROCESS:
                self.__dict__.pop(name, None)
            self._pid = os.getpid()
