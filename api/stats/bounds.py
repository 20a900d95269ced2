"""Bounded statistics: the longest window a role may ask for, and a statement timeout on every
statistics query, so that no tenant's request can hold the database for long.

An EMPLOYEE or a MANAGER may ask for STATS_MAX_WINDOW_DAYS days at most (default 400: a year and
a month to compare it with); ADMIN and SUPERADMIN keep the window's own bound,
`api.stats.window.MAX_WINDOW_DAYS` (ten years). Every statistics request is one transaction whose
statements PostgreSQL cancels after STATS_STATEMENT_TIMEOUT_MS, set transaction-locally
(`queries.prepare`); a cancelled query answers 503 naming the setting, not a 500, nor "the database
is unavailable".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.http.errors import RETRY_AFTER_S, ApiError
from api.http.services import services
from api.stats import queries
from api.stats.window import Window
from shared.db import session_scope
from shared.models import ADMIN_ROLES

QUERY_CANCELED_SQLSTATE = "57014"  # PostgreSQL's query_canceled: statement_timeout, or pg_cancel_backend

log = logging.getLogger(__name__)


def check_window(window: Window, role: str, max_days: int) -> None:
    """400 naming `from` when an EMPLOYEE's or a MANAGER's window is longer than `max_days`
    (STATS_MAX_WINDOW_DAYS); ADMIN and SUPERADMIN windows were bounded by `window_for`."""
    if role in ADMIN_ROLES:
        return
    days = (window.last_day - window.first_day).days + 1
    if days > max_days:
        message = (f"the window may span at most {max_days} days for the role {role} (STATS_MAX_WINDOW_DAYS); "
                   f"this one spans {days}")
        raise ApiError(400, message, {"from": message})


@contextmanager
def stats_session() -> Iterator[Session]:
    """The one transaction of a statistics request, its queries bounded by STATS_STATEMENT_TIMEOUT_MS."""
    timeout_ms = services().settings.stats_statement_timeout_ms
    try:
        with session_scope(services().session_factory) as session:
            queries.prepare(session, timeout_ms)
            yield session
    except OperationalError as exc:
        if getattr(exc.orig, "pgcode", None) != QUERY_CANCELED_SQLSTATE:
            raise
        log.warning("statistics query cancelled after STATS_STATEMENT_TIMEOUT_MS=%d ms", timeout_ms)
        raise ApiError(503, f"The statistics took longer than {timeout_ms} ms (STATS_STATEMENT_TIMEOUT_MS) and were "
                            "stopped; ask for a shorter window, or try again later",
                       {"code": "Statement Timeout", "timeoutMs": timeout_ms},
                       headers={"Retry-After": str(RETRY_AFTER_S)}) from exc
