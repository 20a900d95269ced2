"""What the whole deployment is doing, read at the moment of asking: runs by kind and status, AI
calls by status, queue lengths, workers online. Used by `GET /metrics` and the runs page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from shared import broker
from shared.catalog import QUEUES
from shared.hemis.names import FULL_RUN_KINDS, SINGLE_RUN_KINDS
from shared.models import FINISHED_STATUSES, AiStatus, Call, RunStatus, SyncRun
from shared.sipuni.names import KIND_STEP1, KIND_STEP2

RUN_KINDS = (*FULL_RUN_KINDS, *SINGLE_RUN_KINDS, KIND_STEP1, KIND_STEP2)
SECONDS_PER_DAY = 86_400


def finished_runs_by_kind_and_status(session: Session) -> dict[tuple[str, str], int]:
    """Finished runs only: a counter must never go down, and a running run's status will change."""
    rows = session.execute(select(SyncRun.kind, SyncRun.status, func.count())
                           .where(SyncRun.status.in_(FINISHED_STATUSES)).group_by(SyncRun.kind, SyncRun.status))
    return {(kind, status): int(count) for kind, status, count in rows}


def running_by_kind(session: Session) -> dict[str, int]:
    counts = {kind: 0 for kind in RUN_KINDS}
    rows = session.execute(select(SyncRun.kind, func.count()).where(SyncRun.status == RunStatus.RUNNING.value)
                           .group_by(SyncRun.kind))
    counts.update({kind: int(count) for kind, count in rows})
    return counts


@dataclass(frozen=True)
class DurationHistogram:
    """Finished runs of one kind: how many took at most each bound (cumulative), their count and sum."""

    bucket_counts: list[int]
    count: int
    sum_s: float


def finished_duration_histograms(session: Session, bounds_s: Sequence[float]) -> dict[str, DurationHistogram]:
    """Duration histograms of finished runs by kind, counted by the database in one query (a Python
    loop over every run ever made grew to most of a second at 50,000 runs; see bench/observability.py)."""
    seconds = _duration_s_expression(session)
    buckets = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds_s]
    rows = session.execute(select(SyncRun.kind, func.count(), func.coalesce(func.sum(seconds), 0.0), *buckets)
                           .where(SyncRun.status.in_(FINISHED_STATUSES), SyncRun.finished_at.is_not(None))
                           .group_by(SyncRun.kind))
    return {kind: DurationHistogram([int(n or 0) for n in counts], int(count), max(0.0, float(total)))
            for kind, count, total, *counts in rows}


def _duration_s_expression(session: Session) -> ColumnElement[float]:
    """`finished_at - started_at` in seconds, in the dialect at hand (PostgreSQL in production, SQLite
    under `make run`)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(SyncRun.finished_at) - func.julianday(SyncRun.started_at)) * SECONDS_PER_DAY
    return func.extract("epoch", SyncRun.finished_at - SyncRun.started_at)


def ai_calls_by_status(session: Session, *, organization_id: int | None = None,
                       employee_id: int | None = None) -> dict[str, int]:
    """Calls per `ai_status`, every status present (0 when none); optionally of one organization/employee."""
    statement = select(Call.ai_status, func.count()).group_by(Call.ai_status)
    if organization_id is not None:
        statement = statement.where(Call.organization_id == organization_id)
    if employee_id is not None:
        statement = statement.where(Call.employee_id == employee_id)
    counts = {status.value: 0 for status in AiStatus}
    counts.update({status: int(count) for status, count in session.execute(statement)})
    return counts


def queue_lengths(client: redis.Redis, queues: Iterable[str] = QUEUES) -> dict[str, int]:
    """Messages waiting in each Celery queue (the broker is this Redis)."""
    return broker.queue_lengths(client, queues)
