"""What the API's views use, built once by the app factory and kept in `app.extensions`."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from celery import Celery
from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.progress import ProgressStore
from shared.settings import Settings
from shared.storage import Storage

EXTENSION_KEY = "navai"


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: redis.Redis
    progress: ProgressStore
    celery: Celery
    storage: Storage


def services() -> Services:
    return current_app.extensions[EXTENSION_KEY]
