"""Deployment-wide counters in Redis, for `GET /metrics`.

Workers on any host add to the same Redis hashes with HINCRBY, so the counts survive a worker's
restart and add up across hosts; the API reads them at scrape time (see `api.metrics`). Counting
never breaks the work it counts: a Redis error here is logged and dropped.

- records synced, per kind (`students`, `employees`, `calls`): `count_records(client, kind, n)`
- upstream requests, per upstream and outcome: an `UpstreamMeter(client, upstream)` given to each
  upstream client by whoever builds it from the process's `Services`; `.count(status_or_none)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis

from shared import keys

log = logging.getLogger(__name__)

RECORDS_KEY = keys.METRICS_RECORDS
UPSTREAM_KEY = keys.METRICS_UPSTREAM
RECORD_KINDS = ("students", "employees", "calls")
UPSTREAMS = ("hemis", "sipuni", "stt", "llm")
OUTCOMES = ("2xx", "4xx", "429", "5xx", "error")
OUTCOME_ERROR = "error"
_FIELD_SEPARATOR = "|"

def outcome_of(status: int | None) -> str:
    """The outcome label of one HTTP attempt: its status class, 429 on its own, `error` without one."""
    if status is None:
        return OUTCOME_ERROR
    if status == 429:
        return "429"
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    return "2xx"


@dataclass(frozen=True)
class UpstreamMeter:
    """Counts every attempt of the requests to one upstream (`hemis`, `sipuni`, `stt`, `llm`)."""

    client: redis.Redis
    upstream: str

    def count(self, status: int | None) -> None:
        _incr(self.client, UPSTREAM_KEY, f"{self.upstream}{_FIELD_SEPARATOR}{outcome_of(status)}", 1)


def count_records(client: redis.Redis, kind: str, amount: int) -> None:
    """Count `amount` records of `kind` written by a sync."""
    if amount > 0:
        _incr(client, RECORDS_KEY, kind, amount)


def records_synced(client: redis.Redis) -> dict[str, int]:
    counts = {kind: 0 for kind in RECORD_KINDS}
    counts.update({kind: int(n) for kind, n in client.hgetall(RECORDS_KEY).items()})
    return counts


def upstream_requests(client: redis.Redis) -> dict[tuple[str, str], int]:
    counts = {(upstream, outcome): 0 for upstream in UPSTREAMS for outcome in OUTCOMES}
    for field, value in client.hgetall(UPSTREAM_KEY).items():
        upstream, _, outcome = field.partition(_FIELD_SEPARATOR)
        counts[(upstream, outcome)] = int(value)
    return counts


def _incr(client: redis.Redis, key: str, field: str, amount: int) -> None:
    try:
        client.hincrby(key, field, amount)
    except redis.RedisError as exc:
        log.warning("metrics: could not count %s %s: %s", key, field, type(exc).__name__)
