"""How a view reaches the process's `Services` (built once by the app factory, kept in `app.extensions`),
and the Celery client the API publishes with: the deployment's configuration, no task module."""

from __future__ import annotations

from celery import Celery
from flask import current_app

import celeryconfig
from shared.services import Services
from shared.settings import Settings

EXTENSION_KEY = "navai"

__all__ = ["EXTENSION_KEY", "Services", "make_celery_client", "services"]


def services() -> Services:
    return current_app.extensions[EXTENSION_KEY]


def make_celery_client(settings: Settings) -> Celery:
    """A Celery app that publishes by task name and reads results; it registers no task."""
    client = Celery("navai", set_as_current=False)
    client.conf.update(celeryconfig.build_config(settings))
    return client
