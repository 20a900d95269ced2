"""Celery tasks of the Sipuni two-step sync.

- `sipuni.fetch_csv` (step 1): the export, saved whole (`export`); in a chain it then publishes step 2.
- `sipuni.process_csv` (step 2 coordinator): plans the calls of the window (`plan`).
- `sipuni.fan_out_calls`: publishes one `recordings.process_call` per call id of its chunk.
- `recordings.process_call`: one call (`step2`); counts its outcome once (`tally`).
- `sipuni.finalize_step2`: the run's summary into `sync_runs`, once, when every call is counted.

Task arguments and results carry ids and counts only, never a CSV row. Every task is safe to run
twice; all but the finalizer are leased units (`shared.units`), published again by the recovery
sweeper when their worker dies.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.utils.log import get_task_logger

from shared import catalog
from shared.ai.queue import mark_queued, publish_analysis
from shared.leases.publish import publish, publish_leased
from shared.models import RunStatus
from shared.runs.cancel import RunCounts, is_cancelled, record_cancelled_counts
from shared.runs.record import finish_run
from shared.sipuni.names import csv_key, parse_sipuni_day
from shared.sipuni.start import ExportWindow, continue_chain
from shared.storage import StorageError
from workers.base import NavaiTask
from workers.sipuni import files, tally
from workers.sipuni.accounts import client_for
from workers.sipuni.csv_parser import CsvFormatError, call_from_row
from workers.sipuni.export import save_export
from workers.sipuni.plan import plan_calls
from workers.sipuni.staging import RowStaging
from workers.sipuni.step2 import CallJob, StoredCall
from workers.sipuni.step2 import process_call as process_one_call
from workers.upstream.http import RetryPolicy, UpstreamRejected, backoff_s

log = get_task_logger(__name__)

MAX_CALL_RETRIES = 4
CALL_RETRY_BASE_DELAY_S = 2.0
CALL_RETRY_MAX_DELAY_S = 60.0
CSV_NOT_FOUND = "CSV file not found. Please run Step 1 first."
STORAGE_RETRIES = 3  # the coordinator tries again when the object store is briefly away
STORAGE_RETRY_DELAY_S = 10.0
RECORDING_POLICY = RetryPolicy(attempts=3, base_delay_s=0.5, read_timeout_s=60.0)
RUN_CANCELLED = "The run was cancelled"


# --- step 1 ----------------------------------------------------------------------------------------

@shared_task(name=catalog.SIPUNI_FETCH_CSV, base=NavaiTask, bind=True)
def fetch_csv(self: NavaiTask, run_id: str, organization_id: int, limit: int = 500, date_from: str | None = None,
              date_to: str | None = None, step2_run_id: str | None = None) -> dict[str, Any]:
    """Download the export and save it atomically; in a chain, publish step 2 (or fail it with step 1)."""
    if is_cancelled(self.svc, run_id):
        return _step1_cancelled(self, run_id, organization_id, step2_run_id)
    try:
        saved = save_export(self.svc, run_id, organization_id, limit, parse_sipuni_day(date_from),
                            parse_sipuni_day(date_to))
    except Exception as exc:
        message = f"Step 1 failed: {exc}"
        log.error("[STEP1] %s", message)
        _fail_step1(self, run_id, organization_id, message, step2_run_id)
        raise
    result = {"success": True, "message": f"Successfully fetched and saved {saved.rows} records to CSV",
              "totalRecords": saved.rows, "csvPath": saved.where}
    with self.session() as session:
        ended = finish_run(session, run_id, RunStatus.COMPLETED.value, total=saved.rows, processed=saved.rows,
                           stats=result)
    if ended is None:  # cancelled while the export downloaded: the export is kept, the run stays cancelled
        record_cancelled_counts(self.svc, run_id, lambda: RunCounts(total=saved.rows, processed=saved.rows,
                                                                    stats=result))
        return _step1_cancelled(self, run_id, organization_id, step2_run_id)
    self.svc.progress.update(run_id, status=RunStatus.COMPLETED.value, total=saved.rows, processed=saved.rows,
                             message=result["message"])
    log.info("[STEP1] %s (%s)", result["message"], result["csvPath"])
    if step2_run_id:
        continue_chain(self.svc, step2_run_id, organization_id, ExportWindow(date_from, date_to))
    return result


def _fail_step1(task: NavaiTask, run_id: str, organization_id: int, message: str, step2_run_id: str | None) -> None:
    with task.session() as session:
        ended = tally.abort(session, run_id, message)
    if ended:  # not if it was cancelled meanwhile
        task.svc.progress.update(run_id, status=RunStatus.FAILED.value, message=message)
    if step2_run_id:
        tally.abort_step2(task.svc, step2_run_id, organization_id, f"Not started: {message}")


def _step1_cancelled(task: NavaiTask, run_id: str, organization_id: int, step2_run_id: str | None) -> dict[str, Any]:
    """Step 1 was cancelled: a step 2 chained to it is not started, it ends cancelled too."""
    if step2_run_id:
        tally.cancel_chained_step2(task.svc, step2_run_id, organization_id, run_id)
    log.info("[STEP1] run %s was cancelled", run_id)
    return {"success": False, "message": RUN_CANCELLED, "runId": run_id}


# --- step 2: coordinator ---------------------------------------------------------------------------

@shared_task(name=catalog.SIPUNI_PROCESS_CSV, base=NavaiTask, bind=True)
def process_csv(self: NavaiTask, run_id: str, organization_id: int, date_from: str | None = None,
                date_to: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """Publish one call task per row in the date range (inclusive, the account's local dates).
    Safe to run again (a retry after a storage error, a redelivery): rows are staged again under
    the same ids, and a call task delivered twice stores and counts its call once."""
    svc = self.svc
    if is_cancelled(svc, run_id):
        return {"success": False, "message": RUN_CANCELLED, "runId": run_id}
    files.sweep_stale_partials(svc.settings.data_dir, organization_id, 2 * svc.settings.celery_task_time_limit_s)
    try:
        if svc.storage.size(csv_key(organization_id)) is None:
            tally.abort_step2(svc, run_id, organization_id, CSV_NOT_FOUND)
            return {"success": False, "message": CSV_NOT_FOUND, "runId": run_id}
        plan = plan_calls(svc, run_id, organization_id, parse_sipuni_day(date_from), parse_sipuni_day(date_to),
                          limit).as_dict()
    except CsvFormatError as exc:
        tally.abort_step2(svc, run_id, organization_id, f"The saved CSV cannot be read: {exc}")
        raise
    except StorageError as exc:
        if self.request.retries < STORAGE_RETRIES:
            raise self.retry(exc=exc, countdown=STORAGE_RETRY_DELAY_S)
        tally.abort_step2(svc, run_id, organization_id, f"The storage could not be read: {exc}")
        raise
    svc.progress.update(run_id, total=plan["total"], rowsInCsv=plan["rows"],
                        outsideDateRange=plan["outsideDateRange"], duplicateRows=plan["duplicateRows"])
    if svc.progress.finished_count(run_id) >= plan["total"]:
        # no calls, or all finished before the total was known
        publish(svc, catalog.SIPUNI_FINALIZE_STEP2, args=[run_id, organization_id])
    log.info("[STEP2] run %s: %s calls queued from %s rows", run_id, plan["total"], plan["rows"])
    return {"success": True, "message": f"Queued {plan['total']} calls", "runId": run_id, **plan}


@shared_task(name=catalog.SIPUNI_FAN_OUT_CALLS, base=NavaiTask, bind=True)
def fan_out_calls(self: NavaiTask, run_id: str, organization_id: int, offset_s: int | None,
                  units: list[str]) -> dict[str, Any]:
    """Publish one `recordings.process_call` per call id (`unit`) of the chunk. Safe to run twice
    (a redelivered chunk): a call task delivered twice stores and counts its call once."""
    if is_cancelled(self.svc, run_id):  # its calls are not published: none of them is downloaded
        return {"runId": run_id, "queued": 0, "cancelled": True}
    with self.app.producer_or_acquire() as producer:
        for unit in units:
            publish_leased(self.svc, catalog.RECORDINGS_PROCESS_CALL, args=[run_id, organization_id, unit, offset_s],
                           producer=producer)
    return {"runId": run_id, "queued": len(units)}


# --- step 2: one call ------------------------------------------------------------------------------

# ignore_result: a call's outcome is counted in the run's progress and summary; storing a result
# per call in Redis as well cost ~8% of a worker's time. A sender that wants one passes
# `ignore_result=False` (the request's flag wins over the task's).
@shared_task(name=catalog.RECORDINGS_PROCESS_CALL, base=NavaiTask, bind=True, max_retries=None, ignore_result=True)
def process_call(self: NavaiTask, run_id: str, organization_id: int, unit: str,
                 offset_s: int | None = None) -> dict[str, Any]:
    """One call of a step-2 run, by its id (`unit`: the record id, or `row:N` for a row without
    a usable one); the row itself is read from the run's staging in Redis."""
    svc = self.svc
    # The run holds its lock until it ends: only when it does not (any more) may it have been cancelled.
    if not tally.step2_lock(svc.redis, organization_id).extend(run_id) and is_cancelled(svc, run_id):
        return {"unit": unit, "outcome": "cancelled"}  # not downloaded, not counted; its lease is released
    row = RowStaging(svc.redis).row(run_id, unit)
    if row is None:
        stored, outcome = None, tally.Outcome(tally.FAILED, "the run's staged row is gone (expired)")
    else:
        stored, outcome = _store_call(self, run_id, organization_id, call_from_row(row, offset_s), unit)
    if stored is not None and stored.call_id is not None:
        mark_queued(svc.redis, [stored.call_id])  # so that a reprocess does not queue it a second time
        publish_analysis(svc, stored.call_id, run_id=run_id)  # after the commit
    if tally.record_outcome(svc.progress, run_id, unit, outcome):
        publish(svc, catalog.SIPUNI_FINALIZE_STEP2, args=[run_id, organization_id])
    if is_cancelled(svc, run_id):  # cancelled while this call was in flight: it is kept, and counted
        tally.record_cancelled(svc, run_id)
    return {"unit": unit, "outcome": outcome.kind, "reason": outcome.reason}


def _store_call(task: NavaiTask, run_id: str, organization_id: int, call: Any,
                unit: str) -> tuple[StoredCall | None, tally.Outcome]:
    """Download and store one call; retry what may pass (raises Celery's Retry), count the rest."""
    job = CallJob(run_id=run_id, organization_id=organization_id, data_dir=task.svc.settings.data_dir,
                  storage=task.svc.storage)
    try:
        stored = process_one_call(job, call, client_for(task.svc, organization_id, RECORDING_POLICY), task.session)
    except UpstreamRejected as exc:  # retrying cannot help (bad credentials, refused request)
        return None, tally.Outcome(tally.FAILED, str(exc))
    except Exception as exc:
        retries = task.request.retries
        if retries < MAX_CALL_RETRIES:
            log.warning("[STEP2] %s: %s; retry %d of %d", unit, exc, retries + 1, MAX_CALL_RETRIES)
            raise task.retry(exc=exc, countdown=backoff_s(CALL_RETRY_BASE_DELAY_S, retries, CALL_RETRY_MAX_DELAY_S))
        return None, tally.Outcome(tally.FAILED, f"{type(exc).__name__}: {exc}")
    return stored, stored.outcome


# --- step 2: the end -------------------------------------------------------------------------------

@shared_task(name=catalog.SIPUNI_FINALIZE_STEP2, base=NavaiTask, bind=True)
def finalize_step2(self: NavaiTask, run_id: str, organization_id: int) -> dict[str, Any] | None:
    """Idempotent: the first call writes the summary, later ones find the run finished."""
    svc = self.svc
    with self.session() as session:
        result = tally.finalize(session, svc.progress, run_id)
    if result is None:
        return None
    tally.publish_end(svc.progress, tally.step2_lock(svc.redis, organization_id), run_id,
                      str(result["status"]), str(result["message"]))
    files.remove_run_partials(svc.settings.data_dir, organization_id, run_id)
    RowStaging(svc.redis).drop(run_id)
    log.info("[STEP2] run %s finished: %s", run_id, result["message"])
    return result
