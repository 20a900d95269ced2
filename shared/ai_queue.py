"""Which calls have an AI task queued, so that reprocessing never queues a call twice.

The API marks a call (Redis SET NX) before it enqueues `ai.process_call` for it; the task clears
the mark when it starts, after which the call's `ai_status` (transcribing, analyzing) tells that it
runs. The mark expires after `QUEUED_MARK_TTL_S`, so a lost message cannot block a call for good.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis

from shared.models import AiStatus
from shared.redis_client import KEY_PREFIX

QUEUED_PREFIX = f"{KEY_PREFIX}ai:queued:"
QUEUED_MARK_TTL_S = 3600
RUNNING_STATUSES = frozenset({AiStatus.TRANSCRIBING.value, AiStatus.ANALYZING.value})


def mark_queued(client: redis.Redis, call_ids: Iterable[int]) -> list[int]:
    """Mark each call queued; return those that were not already (the others must be skipped)."""
    call_ids = list(call_ids)
    pipe = client.pipeline(transaction=False)
    for call_id in call_ids:
        pipe.set(f"{QUEUED_PREFIX}{call_id}", "1", nx=True, ex=QUEUED_MARK_TTL_S)
    return [call_id for call_id, took in zip(call_ids, pipe.execute()) if took]


def clear_queued(client: redis.Redis, call_ids: Iterable[int]) -> None:
    keys = [f"{QUEUED_PREFIX}{call_id}" for call_id in call_ids]
    if keys:
        client.delete(*keys)
