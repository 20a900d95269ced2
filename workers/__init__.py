"""The Celery side: the app factory, tasks, and the upstream API clients.

`celery -A workers worker|beat|flower` finds the app through `workers.app`, built on first access
from the environment (the process's composition root). Code and tests that hold a `Settings`
call `create_celery(settings)` instead.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

from shared.settings import Settings

TASK_MODULES = ["workers.system", "workers.ai.tasks", "workers.sipuni.tasks", "workers.sipuni.schedules",
                "workers.hemis.tasks", "workers.recovery.tasks"]

_app_from_env: Celery | None = None


def create_celery(settings: Settings) -> Celery:
    """A Celery app configured from `settings`, with the worker context attached."""
    import celeryconfig
    from shared import logs, metrics
    import workers.recovery.worker_signals  # noqa: F401 (connects the worker's recovery signals)
    from workers.context import WorkerContext
    from workers.recovery.publishing import NavaiCelery

    app = NavaiCelery("navai", set_as_current=True)
    app.conf.update(celeryconfig.build_config(settings))
    app.navai_context = WorkerContext(settings)  # type: ignore[attr-defined]
    # Upstream request counts go to this deployment's Redis (built lazily, per forked process).
    metrics.use_redis(lambda: app.navai_context.redis)  # type: ignore[attr-defined]
    logs.connect_celery_signals(settings)  # LOG_FORMAT, and run/task ids on every log line
    app.conf.include = TASK_MODULES
    for module in TASK_MODULES:
        __import__(module)
    return app


@worker_init.connect
def _before_fork(sender: Any = None, **_kwargs: Any) -> None:
    context = getattr(getattr(sender, "app", None), "navai_context", None)
    if context is not None:
        context.warm_up()


@worker_process_init.connect
def _after_fork(**_kwargs: Any) -> None:
    if _app_from_env is not None:
        _app_from_env.navai_context.after_fork()  # type: ignore[attr-defined]


def __getattr__(name: str) -> Celery:
    """`workers.app`: the app of this process, built once from the environment."""
    global _app_from_env
    if name not in ("app", "celery"):
        raise AttributeError(name)
    if _app_from_env is None:
        _app_from_env = create_celery(Settings.from_env())
    return _app_from_env
