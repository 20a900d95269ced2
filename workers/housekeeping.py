"""Housekeeping tasks, on the queue every worker consumes whatever its `-Q` (see
`workers.recovery.worker_signals`), so they never depend on how a host's queues were chosen.

- `recovery.sweep`: beat sends it every RECOVERY_SWEEP_INTERVAL_S, tasks send it too (throttled);
  it publishes again the units that stopped making progress (`workers.recovery.sweeper`).
- `system.echo`: a round trip through broker, worker, database and result backend.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from sqlalchemy import func, select

from shared.catalog import RECOVERY_SWEEP, SYSTEM_ECHO
from shared.models import User
from workers.base import NavaiTask
from workers.recovery.sweeper import sweep as sweep_once


@shared_task(name=RECOVERY_SWEEP, base=NavaiTask, bind=True, ignore_result=True)
def sweep(self: NavaiTask) -> dict[str, Any]:
    return sweep_once(self.svc, self.app.navai_recovery).as_dict()  # type: ignore[attr-defined]


@shared_task(name=SYSTEM_ECHO, base=NavaiTask, bind=True)
def echo(self: NavaiTask, message: str) -> dict[str, object]:
    """Return the message with the number of users, proving the worker reached the database."""
    with self.session() as session:
        user_count = session.scalar(select(func.count()).select_from(User)) or 0
    return {"echo": message, "users": int(user_count), "worker": self.request.hostname}
