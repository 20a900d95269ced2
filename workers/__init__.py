"""The Celery side: the app factory (`workers.factory`), the tasks of each feature, crash recovery
and the clients of the upstream APIs.

`celery -A workers worker|beat|flower` finds the app as `workers.app` (or `workers.celery`), built
on first access from the environment: the process's composition root. Code and tests that hold a
`Settings` call `create_celery(settings)` instead.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_celery"]

_app_from_env: Any = None


def create_celery(settings: Any) -> Any:
    from workers.factory import create_celery as build

    return build(settings)


def __getattr__(name: str) -> Any:
    """`workers.app` / `workers.celery`: the app of this process, built once from the environment."""
    global _app_from_env
    if name not in ("app", "celery"):
        raise AttributeError(name)
    if _app_from_env is None:
        from shared.settings import Settings

        _app_from_env = create_celery(Settings.from_env())
    return _app_from_env
