"""Celery configuration, built from `Settings` for the API's client (`api.http.services`) and the
workers' app (`workers.factory`). It reads its facts from `shared` and never the reverse.

Queues and routes are `shared.catalog`'s: tasks are routed by the prefix of their name, so a worker
can be started for exactly the queues a host should serve (`celery -A workers worker -Q recordings
-c 8`); every worker also consumes the housekeeping queue (`default`) by itself.
"""

from __future__ import annotations

from typing import Any

from shared import catalog, redis_url
from shared.ai.limits import ai_task_annotations
from shared.settings import ConfigError, Settings

WORKER_MAX_TASKS_PER_CHILD = 500


def build_config(settings: Settings) -> dict[str, Any]:
    """The Celery settings for one deployment."""
    hard_limit_s = settings.celery_task_time_limit_s
    return {
        **redis_config(settings),
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "result_expires": catalog.RESULT_EXPIRES_S,
        # Off: an extended result repeats the task's arguments in Redis (and Flower); results carry
        # ids and counts only.
        "result_extended": False,
        "task_default_queue": catalog.HOUSEKEEPING_QUEUE,
        "task_routes": catalog.TASK_ROUTES,
        # Acknowledge after the task ran, and requeue if the worker process died under it: no task
        # is lost to a crash. Tasks are written to be safe to run twice.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Reserve no message beyond the free pool processes (Celery >= 5.6, Redis only): a killed
        # worker takes little unstarted work with it, and what it took the sweeper publishes again.
        "worker_disable_prefetch": True,
        "worker_concurrency": settings.worker_concurrency,
        "task_track_started": True,
        "task_time_limit": hard_limit_s,
        "task_soft_time_limit": settings.celery_soft_time_limit_s,
        # The AI tasks' own limits: a transcription may take far longer than a Sipuni or HEMIS task.
        "task_annotations": ai_task_annotations(settings),
        "worker_max_tasks_per_child": WORKER_MAX_TASKS_PER_CHILD,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "timezone": "UTC",
        "enable_utc": True,
        "beat_schedule": beat_schedule(settings),
    }


def redis_config(settings: Settings) -> dict[str, Any]:
    """Broker and result backend on REDIS_URL: one server, or the master the sentinels name now
    (kombu's `sentinel://` transport and Celery's sentinel backend, spelled by `shared.redis_url`)."""
    target = settings.redis_target
    url = redis_url.celery_url(target)
    # A message a dead worker held is redelivered after this long: longer than any task.
    transport = {"visibility_timeout": settings.celery_visibility_timeout_s,
                 **redis_url.celery_transport_options(target)}
    config: dict[str, Any] = {"broker_url": url, "result_backend": url, "broker_transport_options": transport,
                              "result_backend_transport_options": dict(transport)}
    tls = redis_url.celery_ssl(target)
    if tls is not None:
        config.update(broker_use_ssl=tls, redis_backend_use_ssl=dict(tls))
    return config


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """Periodic tasks: the HEMIS nightly sync from `HEMIS_SYNC_CRON` (UTC) of the organizations
    without a HEMIS schedule of their own, the recovery sweep
    (workers.recovery) every `RECOVERY_SWEEP_INTERVAL_S` (a sweep not taken within one interval
    expires, a newer one is on its way), and the check of the organizations' own call-sync and
    HEMIS schedules every `SYNC_SCHEDULE_TICK_S`."""
    interval_s = settings.recovery_sweep_interval_s
    return {
        "hemis-nightly-sync": {"task": catalog.HEMIS_NIGHTLY_SYNC, "schedule": hemis_crontab(settings.hemis_sync_cron)},
        "recovery-sweep": {"task": catalog.RECOVERY_SWEEP, "schedule": interval_s,
                           "options": {"expires": interval_s, "priority": catalog.RECOVERY_PRIORITY}},
        # Each organization's own call-sync schedule, read from the database at every tick.
        "sipuni-scheduled-syncs": {"task": catalog.SIPUNI_SCHEDULED_SYNCS,
                                   "schedule": float(settings.sync_schedule_tick_s)},
        # Each organization's own HEMIS schedule, likewise (HEMIS_SYNC_CRON is the others').
        "hemis-scheduled-syncs": {"task": catalog.HEMIS_SCHEDULED_SYNCS,
                                  "schedule": float(settings.sync_schedule_tick_s)},
    }


def hemis_crontab(expression: str) -> Any:
    """A standard 5-field cron string as a Celery crontab, or ConfigError naming HEMIS_SYNC_CRON."""
    from celery.schedules import crontab
    from croniter import croniter

    fields = expression.split()
    if len(fields) != 5 or not croniter.is_valid(expression):
        raise ConfigError(f"HEMIS_SYNC_CRON={expression!r} is not a valid 5-field cron expression "
                          "(minute hour day-of-month month day-of-week, UTC), e.g. '0 1 * * *'")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
                       day_of_week=day_of_week)
    except ValueError as exc:
        raise ConfigError(f"HEMIS_SYNC_CRON={expression!r} is not a valid cron expression: {exc}") from exc
