"""Planning a step-2 run: which calls of the saved export it processes, staged and handed out in chunks.

The coordinator reads the CSV once from storage, keeps the calls of the date window (the account's
local days, both included), once per call, stages their rows in Redis (`staging`) and publishes
their ids in chunks of `FAN_OUT_CHUNK_CALLS`: `sipuni.fan_out_calls` tasks, which any free worker
runs, publish the call tasks in parallel. Publishing thousands of messages from one task was the
run's bottleneck: every publish waits for the broker, and a busy worker process gives the waiting
thread its turn again only every few milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from itertools import islice

from shared import catalog
from shared.leases.publish import publish_leased
from shared.services import Services
from shared.sipuni.names import csv_key
from workers.sipuni.csv_parser import call_from_row, is_valid_record_id, iter_stream, usual_offset_s
from workers.sipuni.staging import RowStaging

OFFSET_SAMPLE_ROWS = 1000
FAN_OUT_CHUNK_CALLS = 100  # calls per fan-out task: 2,000 calls are published by 20 tasks in parallel


@dataclass
class PlanTally:
    """What the plan saw in the CSV: calls kept, rows read, rows left out and why."""

    total: int = 0
    rows: int = 0
    outsideDateRange: int = 0  # noqa: N815 (the run's progress and result fields are camelCase)
    duplicateRows: int = 0  # noqa: N815

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def plan_calls(svc: Services, run_id: str, organization_id: int, first: date | None, last: date | None,
               limit: int | None = None) -> PlanTally:
    """Stage the window's calls and publish their ids in chunks; `limit`: at most that many calls."""
    storage, key = svc.storage, csv_key(organization_id)
    with storage.open(key) as sample:
        offset_s = usual_offset_s(islice(iter_stream(sample), OFFSET_SAMPLE_ROWS))
    tally = PlanTally()
    staging = RowStaging(svc.redis)
    with storage.open(key) as stream, svc.celery.producer_or_acquire() as producer:  # one broker connection
        calls = calls_in_window(iter_stream(stream), offset_s, first, last, tally)
        if limit is not None:  # the first `limit` calls of the window; the rest of the CSV is not read
            calls = islice(calls, limit)
        while chunk := list(islice(calls, FAN_OUT_CHUNK_CALLS)):
            staging.stage(run_id, chunk)  # before the ids go out: a call task always finds its row
            publish_leased(svc, catalog.SIPUNI_FAN_OUT_CALLS, producer=producer,
                           args=[run_id, organization_id, offset_s, [unit for unit, _ in chunk]])
    return tally


def calls_in_window(rows: Iterator[dict[str, str]], offset_s: int | None, first: date | None,
                    last: date | None, tally: PlanTally) -> Iterator[tuple[str, dict[str, str]]]:
    """`(unit, row)` for each call in the date range, once per call; counts what it leaves out."""
    seen: set[str] = set()
    for row in rows:
        tally.rows += 1
        call = call_from_row(row, offset_s)
        if (first or last) and not in_window(call.local_date, first, last):
            tally.outsideDateRange += 1
            continue
        unit = call.record_id if is_valid_record_id(call.record_id) else f"row:{tally.rows}"
        if unit in seen:
            tally.duplicateRows += 1
            continue
        seen.add(unit)
        tally.total += 1
        yield unit, row


def in_window(day: date | None, first: date | None, last: date | None) -> bool:
    if day is None:
        return False  # a row whose time cannot be read is in no date range
    return (first is None or day >= first) and (last is None or day <= last)
