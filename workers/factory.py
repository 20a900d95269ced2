"""The Celery app factory: the composition root of every worker and beat process.

Everything a worker needs is declared here, explicitly, in the order it is built: the deployment's
configuration (`celeryconfig`), the process's `Services`, the recovery plan (each feature's
abandon handlers and run checks: what the features plug into crash recovery), the signal handlers,
and the task modules. Nothing registers itself by being imported.
"""

from __future__ import annotations

import importlib
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

import celeryconfig
from shared import logs
from shared.db import engine_for
from shared.services import Services
from shared.settings import Settings
from workers.ai import recovery as ai_recovery
from workers.hemis import recovery as hemis_recovery
from workers.recovery.plan import RecoveryPlan
from workers.recovery.worker_signals import connect_worker_signals
from workers.sipuni import recovery as sipuni_recovery

TASK_MODULES = ("workers.housekeeping", "workers.hemis.tasks", "workers.hemis.schedules", "workers.sipuni.tasks",
                "workers.sipuni.schedules", "workers.ai.tasks")


def create_celery(settings: Settings) -> Celery:
    """A Celery app configured from `settings`, with its services, recovery plan and tasks."""
    app = Celery("navai", set_as_current=True)
    app.conf.update(celeryconfig.build_config(settings))
    app.navai_services = Services(settings, celery=app)  # type: ignore[attr-defined]
    app.navai_recovery = recovery_plan()  # type: ignore[attr-defined]
    logs.connect_celery_signals(settings)  # LOG_FORMAT, and run/task ids on every log line
    connect_worker_signals()
    worker_init.connect(_before_fork, weak=False, dispatch_uid="navai-before-fork")
    worker_process_init.connect(_after_fork, weak=False, dispatch_uid="navai-after-fork")
    app.conf.include = list(TASK_MODULES)
    for module in TASK_MODULES:
        importlib.import_module(module)
    return app


def recovery_plan() -> RecoveryPlan:
    """What each feature plugs into crash recovery."""
    return RecoveryPlan(
        abandon={**hemis_recovery.ABANDON, **sipuni_recovery.ABANDON, **ai_recovery.ABANDON},
        run_checks={"hemis": hemis_recovery.check_runs, "sipuni": sipuni_recovery.check_runs,
                    "ai": ai_recovery.check_runs})


def _before_fork(sender: Any = None, **_kwargs: Any) -> None:
    """In the worker's main process, before the pool forks: load what every pool process would
    otherwise load on its first task (the database driver and its SQLAlchemy dialect, measured at a
    tenth of a HEMIS run's worker CPU across 16 pool processes). An engine is built and disposed of:
    no connection is opened, so nothing is shared across the fork."""
    svc = getattr(getattr(sender, "app", None), "navai_services", None)
    if svc is None:
        return
    engine_for(svc.settings).dispose()
    if svc.settings.database_url.startswith("postgresql"):
        importlib.import_module("psycopg2.extras")  # SQLAlchemy's dialect loads it at first connect


def _after_fork(**_kwargs: Any) -> None:
    """A pool process drops what its parent built; it builds its own on first use."""
    from celery import current_app

    svc = getattr(current_app, "navai_services", None)
    if svc is not None:
        svc.after_fork()
