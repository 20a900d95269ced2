"""What the Sipuni side of the API sets up when the app starts (`api.create_app`): the throttle of
wrong webhook keys, and a warning once `WEBHOOK_API_KEY` has become a deprecated second way in.

`WEBHOOK_API_KEY` opens the webhook for every organization; an organization's own key
(`flask orgs webhook-key`) opens it for that organization only. Once any organization has its own
key, the global one is only a wider door kept for old callers, so every start says so.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from api.sipuni.webhook_throttle import init_webhook_throttle
from shared.models import Organization
from shared.settings import Settings

log = logging.getLogger(__name__)

# The start-up check waits at most this long for PostgreSQL: an API whose database is not reachable
# yet still starts at once (and answers 503 until it is); it only skips the check.
STARTUP_CHECK_CONNECT_TIMEOUT_S = 3
GLOBAL_KEY_DEPRECATED = (
    "WEBHOOK_API_KEY is deprecated: %d organization(s) have their own webhook key (flask orgs webhook-key). "
    "WEBHOOK_API_KEY opens the webhook for every organization; once every caller sends its organization's "
    "own key, unset it.")


def init_sipuni(app: Flask, settings: Settings) -> None:
    init_webhook_throttle(app, settings.redis_target)
    warn_if_global_key_deprecated(settings)


def warn_if_global_key_deprecated(settings: Settings) -> None:
    """Log the deprecation of WEBHOOK_API_KEY when it is set and an organization has its own key.
    Never stops the start: a database that cannot be read (down, not migrated) skips the check."""
    if not settings.webhook_api_key:
        return
    try:
        keyed = organizations_with_own_key(settings.database_url)
    except SQLAlchemyError as exc:
        log.info("organizations' own webhook keys not checked at start (database unavailable: %s)",
                 type(exc).__name__)
        return
    if keyed:
        log.warning(GLOBAL_KEY_DEPRECATED, keyed)


def organizations_with_own_key(database_url: str) -> int:
    """How many organizations have a webhook key of their own, read over a connection of its own
    whose connect is bounded (the process's engine waits as long as the network lets it)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"connect_timeout": str(STARTUP_CHECK_CONNECT_TIMEOUT_S)})
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            statement = select(func.count()).select_from(Organization).where(Organization.webhook_key_hash.is_not(None))
            return int(connection.scalar(statement) or 0)
    finally:
        engine.dispose()
