"""Queueing calls for AI processing: the start path shared by the API (reprocess) and the Sipuni
workers (a call just stored), and which calls have an AI task queued, so none is queued twice.

The API marks a call (Redis SET NX) before it enqueues `ai.process_call` for it; the task clears
the mark when it starts, after which the call's `ai_status` (transcribing, analyzing) tells that it
runs. The mark expires after `QUEUED_MARK_TTL_S`, so a lost message cannot block a call for good.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis

from shared import catalog, keys
from shared.leases.publish import publish_leased
from shared.models import AiStatus
from shared.runs.owners import remember_owner

if TYPE_CHECKING:
    from shared.services import Services

QUEUED_MARK_TTL_S = 3600
RUNNING_STATUSES = frozenset({AiStatus.TRANSCRIBING.value, AiStatus.ANALYZING.value})


def mark_queued(client: redis.Redis, call_ids: Iterable[int]) -> list[int]:
    """Mark each call queued; return those that were not already (the others must be skipped)."""
    call_ids = list(call_ids)
    pipe = client.pipeline(transaction=False)
    for call_id in call_ids:
        pipe.set(keys.ai_queued(call_id), "1", nx=True, ex=QUEUED_MARK_TTL_S)
    return [call_id for call_id, took in zip(call_ids, pipe.execute()) if took]


def clear_queued(client: redis.Redis, call_ids: Iterable[int]) -> None:
    names = [keys.ai_queued(call_id) for call_id in call_ids]
    if names:
        client.delete(*names)


def publish_analysis(svc: "Services", call_id: int, organization_id: int | None = None,
                     run_id: str | None = None) -> str:
    """Publish `ai.process_call` for a call marked queued (`mark_queued`); with `organization_id`,
    that organization may follow the task (`GET /tasks/<id>`); with `run_id` (the sync run that
    stored the call), its steps are skipped once that run is cancelled. Returns the task id."""
    task_id = publish_leased(svc, catalog.AI_PROCESS_CALL, args=[call_id], kwargs=run_kwargs(run_id))
    if organization_id is not None:
        remember_owner(svc.redis, task_id, organization_id)
    return task_id


def run_kwargs(run_id: str | None) -> dict[str, str]:
    """The keyword arguments an AI step passes on: the run that stored the call, if one did."""
    return {"run_id": run_id} if run_id else {}
