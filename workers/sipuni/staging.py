"""The rows of a step-2 run, staged in Redis so that task messages carry ids only.

The coordinator reads the run's CSV once and stages each planned call's row under the run (one
hash per run, field = the call's unit id). Fan-out and call tasks carry `(run id, organization
id, unit)`: no CSV row, phone number or name ever travels in a message, where the broker, the
result backend and Flower would show it. The hash expires on its own (`STAGED_ROWS_TTL_S`) and is
dropped when the run is finalized.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import redis

from shared.keys import staged_rows as _key

STAGED_ROWS_TTL_S = 3 * 24 * 3600  # longer than any run, so a slow run never loses its rows


class RowStaging:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def stage(self, run_id: str, rows: Iterable[tuple[str, dict[str, str]]]) -> None:
        """Stage `(unit, row)` pairs in one round trip."""
        mapping = {unit: json.dumps(row, ensure_ascii=False) for unit, row in rows}
        if not mapping:
            return
        pipeline = self._redis.pipeline(transaction=False)
        pipeline.hset(_key(run_id), mapping=mapping)
        pipeline.expire(_key(run_id), STAGED_ROWS_TTL_S)
        pipeline.execute()

    def row(self, run_id: str, unit: str) -> dict[str, str] | None:
        """The staged row, or None when the run's rows are gone (expired or dropped)."""
        raw = self._redis.hget(_key(run_id), unit)
        return None if raw is None else json.loads(raw)

    def drop(self, run_id: str) -> None:
        self._redis.delete(_key(run_id))
