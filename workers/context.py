"""What a worker process needs at run time: settings, database sessions, Redis.

Built lazily inside each worker process: a database engine or socket made before the prefork pool
forks would be shared by the children, which corrupts connections.
"""

from __future__ import annotations

import importlib
import os
from functools import cached_property

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.db import make_engine, make_session_factory
from shared.inflight import LeaseStore
from shared.progress import ProgressStore
from shared.redis_client import make_redis
from shared.settings import Settings
from shared.storage import Storage, make_storage


class WorkerContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pid = os.getpid()

    def _reset_if_forked(self) -> None:
        if os.getpid() != self._pid:
            for name in ("engine", "session_factory", "redis", "progress", "storage", "leases"):
                self.__dict__.pop(name, None)
            self._pid = os.getpid()

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def redis(self) -> redis.Redis:
        return make_redis(self.settings.redis_url)

    @cached_property
    def progress(self) -> ProgressStore:
        return ProgressStore(self.redis)

    @cached_property
    def storage(self) -> Storage:
        """Where CSVs and recordings live (STORAGE_URL); its S3 client is made per process."""
        return make_storage(self.settings)

    def warm_up(self) -> None:
        """In the worker's main process, before the pool forks: load what every pool process would
        otherwise load on its first task (the database driver and its SQLAlchemy dialect, measured
        at a tenth of a HEMIS run's worker CPU across 16 pool processes). Builds an engine and
        disposes of it: no connection is opened, so nothing is shared across the fork."""
        make_engine(self.settings.database_url).dispose()
        if self.settings.database_url.startswith("postgresql"):
            importlib.import_module("psycopg2.extras")  # SQLAlchemy's dialect loads it at first connect

    def after_fork(self) -> None:
        """Drop what the parent process built; the child builds its own on first use."""
        self._reset_if_forked()

    @cached_property
    def leases(self) -> LeaseStore:
        return LeaseStore(self.redis, lease_s=self.settings.recovery_lease_s,
                          queued_grace_s=self.settings.recovery_queued_grace_s)
