"""Log format for the API, workers and beat: `LOG_FORMAT=text` (default) or `json`.

In JSON every line is one object with `time`, `level`, `logger`, `message` and, where known,
`run_id`, `task_id`, `task_name` and `organization_id`. Message texts are unchanged, so
`[STEP2]` and `[HEMIS]` stay greppable in both formats.

Where the context comes from: inside a Celery task, from the task's request and its arguments
named `run_id` / `organization_id` (bound when the task starts, see `bind_task_context`); inside an
API request, from the route's `run_id` and the caller's organization.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import sys
from collections.abc import Iterable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from shared.settings import LOG_FORMAT_JSON, Settings

CONTEXT_FIELDS = ("run_id", "task_id", "task_name", "organization_id")
_JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
GUNICORN_ERROR_LOGGER = "gunicorn.error"

_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("navai_run_id", default=None)
_organization_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("navai_organization_id", default=None)


def json_formatter() -> logging.Formatter:
    return JsonFormatter(_JSON_FORMAT, rename_fields=_RENAMED, json_ensure_ascii=False)


class ContextFilter(logging.Filter):
    """Adds the known context fields to every record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context().items():
            if value is not None and getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


def _context() -> dict[str, Any]:
    context: dict[str, Any] = {"run_id": _run_id.get(), "organization_id": _organization_id.get()}
    context.update(_task_context())
    if context["run_id"] is None or context["organization_id"] is None:
        for name, value in _request_context().items():
            context[name] = context.get(name) if context.get(name) is not None else value
    return context


def _task_context() -> dict[str, Any]:
    from celery import current_task

    task = current_task
    if task is None or not getattr(task, "request", None) or task.request.id is None:
        return {}
    return {"task_id": task.request.id, "task_name": task.name}


def _request_context() -> dict[str, Any]:
    # Only where Flask is already loaded (the API): importing it from a worker's log line cost every
    # pool process a Flask import (measured: a quarter of a HEMIS run's worker CPU).
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_request_context():
        return {}
    request = flask.request
    context: dict[str, Any] = {"run_id": (request.view_args or {}).get("run_id")}
    try:
        from flask_jwt_extended import get_jwt

        context["organization_id"] = get_jwt().get("org_id")
    except RuntimeError:  # no verified token in this request (login, health, metrics)
        pass
    return context


def bind_task_context(task: Any, args: Iterable[Any] | None, kwargs: dict[str, Any] | None) -> None:
    """Remember the starting task's `run_id` and `organization_id` arguments (positional or named)."""
    try:
        bound = _signature_of(task.run).bind_partial(*(args or ()), **(kwargs or {})).arguments
    except (TypeError, ValueError):
        bound = dict(kwargs or {})
    run_id, organization_id = bound.get("run_id"), bound.get("organization_id")
    _run_id.set(str(run_id) if run_id else None)
    _organization_id.set(organization_id if isinstance(organization_id, int) else None)


@functools.lru_cache(maxsize=None)
def _signature_of(run: Any) -> inspect.Signature:
    """The task function's signature, computed once per task (it is asked at every task start; a
    bound `run` compares equal however often it is looked up)."""
    return inspect.signature(run)


def clear_task_context() -> None:
    _run_id.set(None)
    _organization_id.set(None)


def apply_format(settings: Settings, loggers: Iterable[logging.Logger]) -> None:
    """Give the handlers of `loggers` the context filter and, for LOG_FORMAT=json, the JSON formatter."""
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, ContextFilter) for f in handler.filters):
                handler.addFilter(ContextFilter())
            if settings.log_format == LOG_FORMAT_JSON:
                handler.setFormatter(json_formatter())


def configure_api_logging(settings: Settings) -> None:
    """The API process: with LOG_FORMAT=json, root logs go to stderr as JSON (a handler is added
    when the server has none); with text, the server's own setup is left as it is."""
    if settings.log_format != LOG_FORMAT_JSON:
        return
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
        root.setLevel(logging.INFO)
    # gunicorn's error log does not propagate to the root: format its handlers too (its master
    # process logs its first lines before the app is loaded, in its own format).
    apply_format(settings, [root, logging.getLogger(GUNICORN_ERROR_LOGGER)])


def connect_celery_signals(settings: Settings) -> None:
    """Workers and beat: format Celery's handlers once it set them up, and bind each task's context."""
    from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun

    def formatted(logger: logging.Logger, **_kwargs: Any) -> None:
        apply_format(settings, [logger])

    def started(task: Any = None, args: Any = None, kwargs: Any = None, **_rest: Any) -> None:
        bind_task_context(task, args, kwargs)

    def ended(**_rest: Any) -> None:
        clear_task_context()

    after_setup_logger.connect(formatted, weak=False, dispatch_uid="navai-logs-format")
    after_setup_task_logger.connect(formatted, weak=False, dispatch_uid="navai-logs-task-format")
    task_prerun.connect(started, weak=False, dispatch_uid="navai-logs-task-start")
    task_postrun.connect(ended, weak=False, dispatch_uid="navai-logs-task-end")
