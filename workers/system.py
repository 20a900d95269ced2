"""Housekeeping tasks: a round trip through broker, worker, database and result backend."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import func, select

from shared.models import User
from workers.base import NavaiTask


@shared_task(name="system.echo", base=NavaiTask, bind=True)
def echo(self: NavaiTask, message: str) -> dict[str, object]:
    """Return the message with the number of users, proving the worker reached the database."""
    with self.session() as session:
        user_count = session.scalar(select(func.count()).select_from(User)) or 0
    return {"echo": message, "users": int(user_count), "worker": self.request.hostname}
