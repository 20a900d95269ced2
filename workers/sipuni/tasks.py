"""Celery tasks of the Sipuni two-step sync.

- `sipuni.fetch_csv` (step 1): export → storage key `sipuni/<org>/sipuni-all-records.csv`, whole.
- `sipuni.process_csv` (step 2 coordinator): reads the CSV from storage, stages the rows in the
  date range in Redis (workers.sipuni.staging) and hands out their ids in chunks.
- `sipuni.fan_out_calls`: enqueues one `recordings.process_call` per call id of its chunk.
- `recordings.process_call`: one call (see `workers.sipuni.step2`); counts its outcome once.
- `sipuni.finalize_step2`: the run's summary into `sync_runs`, once, when every call is counted.

Task arguments and results carry ids and counts only, never a CSV row. Every task is safe to run
twice: each is a leased unit (workers.recovery), published again by the recovery sweeper when its
worker dies.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import date, datetime
from itertools import islice
from typing import Any

import requests
from celery import shared_task
from celery.utils.log import get_task_logger

from shared.ai_queue import mark_queued
from shared.db import session_scope
from shared.models import RunStatus
from shared.ratelimit import RateLimiter
from shared.runs import finish_run
from shared.sipuni import csv_key
from shared.storage import StorageError
from workers.base import NavaiTask
from workers.sipuni import call_log, files, runstate
from workers.sipuni.accounts import AccountCache, AccountMissing, UnknownOrganization
from workers.sipuni.client import DATE_FORMAT, SipuniClient
from workers.sipuni.csv_parser import CsvFormatError, call_from_row, is_valid_record_id, iter_file, iter_stream, usual_offset_s
from workers.sipuni.staging import RowStaging
from workers.sipuni.step2 import CallJob, StoredCall, process_call as process_one_call
from workers.context import WorkerContext
from workers.recovery.registry import lease_task
from workers.upstream_http import RetryPolicy, UpstreamRejected

log = get_task_logger(__name__)

RATE_LIMIT_NAME = "sipuni"
LEASE_KIND = "sipuni"  # the lease kind of Sipuni units (workers.recovery)
AI_TASK_NAME = "ai.process_call"
MAX_CALL_RETRIES = 4
RETRY_BASE_DELAY_S = 2.0
RETRY_MAX_DELAY_S = 60.0
OFFSET_SAMPLE_ROWS = 1000
FAN_OUT_CHUNK_CALLS = 100  # calls per fan-out task: 2,000 calls are enqueued by 20 tasks in parallel
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
CSV_NOT_FOUND = "CSV file not found. Please run Step 1 first."
STORAGE_RETRIES = 3  # the coordinator tries again when the object store is briefly away
STORAGE_RETRY_DELAY_S = 10.0
EXPORT_POLICY = RetryPolicy(attempts=3, base_delay_s=1.0, read_timeout_s=120.0)
RECORDING_POLICY = RetryPolicy(attempts=3, base_delay_s=0.5, read_timeout_s=60.0)

_thread_state = threading.local()
_accounts = AccountCache()


# --- helpers ---------------------------------------------------------------------------------------

def _http() -> requests.Session:
    """One keep-alive session per thread (a worker may run a thread pool)."""
    session = getattr(_thread_state, "http", None)
    if session is None:
        session = _thread_state.http = requests.Session()
    return session


def _client(task: NavaiTask, organization_id: int, policy: RetryPolicy) -> SipuniClient:
    """A client for the organization's Sipuni account (the deployment's only for a single-organization
    deployment); `UpstreamRejected`, so nothing is fetched, when it may use none."""
    settings = task.ctx.settings
    try:
        account = _accounts.account(organization_id, settings, task.session)
    except (UnknownOrganization, AccountMissing) as exc:
        raise UpstreamRejected(str(exc)) from exc
    limiter = RateLimiter(task.ctx.redis, RATE_LIMIT_NAME, settings.sipuni_rate_limit)
    return SipuniClient(settings.sipuni_api_url, account.user, account.secret, http=_http(), limiter=limiter,
                        policy=policy)


def _parse_day(value: str | None) -> date | None:
    return datetime.strptime(value, DATE_FORMAT).date() if value else None


def _abort_run(ctx: WorkerContext, run_id: str, organization_id: int, message: str) -> None:
    with session_scope(ctx.session_factory) as session:
        ended = runstate.abort(session, run_id, message)
    if ended:
        ctx.progress.add_error(run_id, message)
        runstate.publish_end(ctx.progress, runstate.step2_lock(ctx.redis, organization_id), run_id,
                             RunStatus.FAILED.value, message)


# --- step 1 ----------------------------------------------------------------------------------------

@shared_task(name="sipuni.fetch_csv", base=NavaiTask, bind=True)
def fetch_csv(self: NavaiTask, run_id: str, organization_id: int, limit: int = 500, date_from: str | None = None,
              date_to: str | None = None, step2_run_id: str | None = None) -> dict[str, Any]:
    """Download the export and save it atomically; a failure also fails the chained step 2."""
    settings, storage, key = self.ctx.settings, self.ctx.storage, csv_key(organization_id)
    try:
        client = _client(self, organization_id, EXPORT_POLICY)
        with files.local_partial(settings.data_dir, organization_id, run_id, "export") as temporary:
            if date_from or date_to:
                first, last = _parse_day(date_from or date_to), _parse_day(date_to or date_from)
                client.export_to(temporary, first, last)  # type: ignore[arg-type]
            else:
                client.export_all_to(temporary, limit)
            # Reading the export proves it is a Sipuni export; every row also goes to the call log.
            total = call_log.record_export(self.session, organization_id, lambda: iter_file(temporary))
            storage.put_file(temporary, key, CSV_CONTENT_TYPE)  # replaces the previous export whole
    except Exception as exc:
        message = f"Step 1 failed: {exc}"
        log.error("[STEP1] %s", message)
        _fail_step1(self, run_id, organization_id, message, step2_run_id)
        raise
    result = {"success": True, "message": f"Successfully fetched and saved {total} records to CSV",
              "totalRecords": total, "csvPath": storage.describe(key)}
    with self.session() as session:
        finish_run(session, run_id, RunStatus.COMPLETED.value, total=total, processed=total, stats=result)
    self.ctx.progress.update(run_id, status=RunStatus.COMPLETED.value, total=total, processed=total,
                             message=result["message"])
    log.info("[STEP1] %s (%s)", result["message"], result["csvPath"])
    return result


def _fail_step1(task: NavaiTask, run_id: str, organization_id: int, message: str, step2_run_id: str | None) -> None:
    with task.session() as session:
        runstate.abort(session, run_id, message)
    task.ctx.progress.update(run_id, status=RunStatus.FAILED.value, message=message)
    if step2_run_id:
        _abort_run(task.ctx, step2_run_id, organization_id, f"Not started: {message}")


# --- step 2: coordinator ---------------------------------------------------------------------------

@shared_task(name="sipuni.process_csv", base=NavaiTask, bind=True)
def process_csv(self: NavaiTask, run_id: str, organization_id: int, date_from: str | None = None,
                date_to: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """Enqueue one call task per row in the date range (inclusive, the account's local dates).
    Safe to run again (a retry after a storage error, a redelivery): rows are staged again under
    the same ids, and a call task delivered twice stores and counts its call once."""
    settings = self.ctx.settings
    files.sweep_stale_partials(settings.data_dir, organization_id, 2 * settings.celery_task_time_limit_s)
    try:
        if self.ctx.storage.size(csv_key(organization_id)) is None:
            _abort_run(self.ctx, run_id, organization_id, CSV_NOT_FOUND)
            return {"success": False, "message": CSV_NOT_FOUND, "runId": run_id}
        plan = _enqueue_calls(self, run_id, organization_id, _parse_day(date_from), _parse_day(date_to), limit)
    except CsvFormatError as exc:
        _abort_run(self.ctx, run_id, organization_id, f"The saved CSV cannot be read: {exc}")
        raise
    except StorageError as exc:
        if self.request.retries < STORAGE_RETRIES:
            raise self.retry(exc=exc, countdown=STORAGE_RETRY_DELAY_S)
        _abort_run(self.ctx, run_id, organization_id, f"The storage could not be read: {exc}")
        raise
    self.ctx.progress.update(run_id, total=plan["total"], rowsInCsv=plan["rows"],
                             outsideDateRange=plan["outsideDateRange"], duplicateRows=plan["duplicateRows"])
    if self.ctx.progress.finished_count(run_id) >= plan["total"]:
        finalize_step2.delay(run_id, organization_id)  # no calls, or all finished before total was known
    log.info("[STEP2] run %s: %s calls queued from %s rows", run_id, plan["total"], plan["rows"])
    return {"success": True, "message": f"Queued {plan['total']} calls", "runId": run_id, **plan}


def _enqueue_calls(task: NavaiTask, run_id: str, organization_id: int, first: date | None,
                   last: date | None, limit: int | None = None) -> dict[str, int]:
    """Plan the calls, stage their rows, and hand out their ids in chunks: `sipuni.fan_out_calls`
    tasks, which any free worker thread or process runs, enqueue the call tasks in parallel.
    Publishing thousands of messages from this one task was the run's bottleneck: every publish
    waits for the broker, and a busy worker process gives the waiting thread its turn again only
    every few milliseconds."""
    storage, key = task.ctx.storage, csv_key(organization_id)
    with storage.open(key) as sample:
        offset_s = usual_offset_s(islice(iter_stream(sample), OFFSET_SAMPLE_ROWS))
    tally = {"total": 0, "rows": 0, "outsideDateRange": 0, "duplicateRows": 0}
    staging = RowStaging(task.ctx.redis)
    with storage.open(key) as stream, task.app.producer_or_acquire() as producer:  # one broker connection
        calls = _calls_to_process(iter_stream(stream), offset_s, first, last, tally)
        if limit is not None:  # the first `limit` calls of the window; the rest of the CSV is not read
            calls = islice(calls, limit)
        while chunk := list(islice(calls, FAN_OUT_CHUNK_CALLS)):
            staging.stage(run_id, chunk)  # before the ids go out: a call task always finds its row
            fan_out_calls.apply_async(args=[run_id, organization_id, offset_s, [unit for unit, _ in chunk]],
                                      producer=producer)
    return tally


def _calls_to_process(rows: Iterator[dict[str, str]], offset_s: int | None, first: date | None,
                      last: date | None, tally: dict[str, int]) -> Iterator[tuple[str, dict[str, str]]]:
    """`(unit, row)` for each call in the date range, once per call; counts what it leaves out."""
    seen: set[str] = set()
    for row in rows:
        tally["rows"] += 1
        call = call_from_row(row, offset_s)
        if (first or last) and not _in_range(call.local_date, first, last):
            tally["outsideDateRange"] += 1
            continue
        unit = call.record_id if is_valid_record_id(call.record_id) else f"row:{tally['rows']}"
        if unit in seen:
            tally["duplicateRows"] += 1
            continue
        seen.add(unit)
        tally["total"] += 1
        yield unit, row


@shared_task(name="sipuni.fan_out_calls", base=NavaiTask, bind=True)
def fan_out_calls(self: NavaiTask, run_id: str, organization_id: int, offset_s: int | None,
                  units: list[str]) -> dict[str, Any]:
    """Enqueue one `recordings.process_call` per call id (`unit`) of the chunk. Safe to run twice
    (a redelivered chunk): a call task delivered twice stores and counts its call once."""
    with self.app.producer_or_acquire() as producer:
        for unit in units:
            process_call.apply_async(args=[run_id, organization_id, unit, offset_s], producer=producer)
    return {"runId": run_id, "queued": len(units)}


def _in_range(day: date | None, first: date | None, last: date | None) -> bool:
    if day is None:
        return False  # a row whose time cannot be read is in no date range
    return (first is None or day >= first) and (last is None or day <= last)


# --- step 2: one call ------------------------------------------------------------------------------

# ignore_result: a call's outcome is counted in the run's progress and summary; storing a result
# per call in Redis as well cost ~8% of a worker's time. A sender that wants one passes
# `ignore_result=False` (the request's flag wins over the task's).
@shared_task(name="recordings.process_call", base=NavaiTask, bind=True, max_retries=None, ignore_result=True)
def process_call(self: NavaiTask, run_id: str, organization_id: int, unit: str,
                 offset_s: int | None = None) -> dict[str, Any]:
    """One call of a step-2 run, by its id (`unit`: the record id, or `row:N` for a row without
    a usable one); the row itself is read from the run's staging in Redis."""
    runstate.step2_lock(self.ctx.redis, organization_id).extend(run_id)
    row = RowStaging(self.ctx.redis).row(run_id, unit)
    if row is None:
        stored, outcome = None, runstate.Outcome(runstate.FAILED, "the run's staged row is gone (expired)")
    else:
        stored, outcome = _store_call(self, run_id, organization_id, call_from_row(row, offset_s), unit)
    if stored is not None and stored.call_id is not None:
        mark_queued(self.ctx.redis, [stored.call_id])  # so that a reprocess does not queue it a second time
        self.app.send_task(AI_TASK_NAME, args=[stored.call_id])  # after the commit, by name (ai queue)
    if runstate.record_outcome(self.ctx.progress, run_id, unit, outcome):
        finalize_step2.delay(run_id, organization_id)
    return {"unit": unit, "outcome": outcome.kind, "reason": outcome.reason}


def _store_call(task: NavaiTask, run_id: str, organization_id: int, call: Any,
                unit: str) -> tuple[StoredCall | None, runstate.Outcome]:
    """Download and store one call; retry what may pass (raises Celery's Retry), count the rest."""
    job = CallJob(run_id=run_id, organization_id=organization_id, data_dir=task.ctx.settings.data_dir,
                  storage=task.ctx.storage)
    try:
        stored = process_one_call(job, call, _client(task, organization_id, RECORDING_POLICY), task.session)
    except UpstreamRejected as exc:  # retrying cannot help (bad credentials, refused request)
        return None, runstate.Outcome(runstate.FAILED, str(exc))
    except Exception as exc:
        if task.request.retries < MAX_CALL_RETRIES:
            log.warning("[STEP2] %s: %s; retry %d of %d", unit, exc, task.request.retries + 1, MAX_CALL_RETRIES)
            raise task.retry(exc=exc, countdown=_retry_delay_s(task.request.retries))
        return None, runstate.Outcome(runstate.FAILED, f"{type(exc).__name__}: {exc}")
    return stored, stored.outcome


def _retry_delay_s(retries: int) -> float:
    ceiling = min(RETRY_MAX_DELAY_S, RETRY_BASE_DELAY_S * (2 ** retries))
    return random.uniform(ceiling / 2, ceiling)


# --- step 2: the end -------------------------------------------------------------------------------

@shared_task(name="sipuni.finalize_step2", base=NavaiTask, bind=True)
def finalize_step2(self: NavaiTask, run_id: str, organization_id: int) -> dict[str, Any] | None:
    """Idempotent: the first call writes the summary, later ones find the run finished."""
    with self.session() as session:
        result = runstate.finalize(session, self.ctx.progress, run_id)
    if result is None:
        return None
    runstate.publish_end(self.ctx.progress, runstate.step2_lock(self.ctx.redis, organization_id), run_id,
                         str(result["status"]), str(result["message"]))
    files.remove_run_partials(self.ctx.settings.data_dir, organization_id, run_id)
    RowStaging(self.ctx.redis).drop(run_id)
    log.info("[STEP2] run %s finished: %s", run_id, result["message"])
    return result


# --- leased units (workers.recovery) ---------------------------------------------------------------
# Step 1, the step-2 planner, each fan-out chunk and each call: a unit whose worker dies is
# published again by the recovery sweeper within a minute (not after the visibility timeout).

def _call_unit(run_id: str, organization_id: int, unit: str, offset_s: int | None = None) -> str:
    return f"{run_id}:{unit}"


def _abandon_call(ctx: Any, app: Any, spec: Any, message: str) -> None:
    run_id, organization_id = spec.args[0], spec.args[1]
    unit = _call_unit(*spec.args, **spec.kwargs).split(":", 1)[1]
    if runstate.record_outcome(ctx.progress, run_id, unit, runstate.Outcome(runstate.FAILED, message)):
        app.send_task("sipuni.finalize_step2", args=[run_id, organization_id])


def _abandon_run(ctx: Any, app: Any, spec: Any, message: str) -> None:
    arguments = {**dict(zip(("run_id", "organization_id"), spec.args)), **spec.kwargs}
    _abort_run(ctx, arguments["run_id"], arguments["organization_id"], message)


def _run_arg(*args: Any, **kwargs: Any) -> str:
    return str(kwargs.get("run_id") or args[0])


lease_task("sipuni.fetch_csv", kind=LEASE_KIND, unit_of=lambda *a, **k: f"{_run_arg(*a, **k)}:step1",
           abandon=_abandon_run)
lease_task("sipuni.process_csv", kind=LEASE_KIND, unit_of=lambda *a, **k: f"{_run_arg(*a, **k)}:plan",
           abandon=_abandon_run)
lease_task("sipuni.fan_out_calls", kind=LEASE_KIND, abandon=_abandon_run,
           unit_of=lambda run_id, organization_id, offset_s, units: f"{run_id}:chunk:{units[0] if units else ''}")
lease_task("recordings.process_call", kind=LEASE_KIND, unit_of=_call_unit, abandon=_abandon_call)
