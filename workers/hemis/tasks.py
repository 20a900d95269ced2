"""Celery tasks of the HEMIS sync (queue `hemis`).

- `hemis.start_run`: the coordinator; fetches page 1, learns pageCount, enqueues one task per page.
- `hemis.publish_pages`: publishes a chunk of the run's page tasks (the coordinator fans out).
- `hemis.sync_page`: one page, one transaction; the last page to finish finalizes the run.
- `hemis.sync_one`: one student or employee, looked up with `search=`.
- `hemis.nightly_sync`: beat's entry point.
Every task is safe to run twice. The coordinator and the pages are leased units
(workers.recovery): a page whose worker dies is published again by the recovery sweeper, which
also finalizes a run whose pages are all done and keeps its lock.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import Retry

from shared.db import DB_UNAVAILABLE_ERRORS, session_scope
from shared.hemis_runs import RunAlreadyRunning, start_full_run
from shared.models import RunStatus, SyncRun
from shared.metrics import count_records
from shared.runs import finish_run
from shared.server_budget import RateLimitWait
from workers.base import NavaiTask
from workers.hemis.client import EMPLOYEES, HemisClient, HemisRejected
from workers.hemis.envelope import HemisProtocolError
from workers.hemis.mapping import id_text
from workers.hemis.pages import store_items
from workers.hemis.ratewait import coordinator_waits, page_waits
from workers.hemis.run import LEASE_KIND, HemisRun, hemis_budget, http_session, page_unit
from workers.recovery.registry import lease_task
from workers.upstream_http import UpstreamError

log = logging.getLogger("workers.hemis")

PROTOCOL_RETRIES = 2  # an HTML page with status 200, success=false: try the page twice more
PROTOCOL_RETRY_DELAY_S = 2.0
SINGLE_RATE_LIMIT_RETRIES = 100  # a single-record sync waits out HEMIS's rate limit this many times


def _run(task: NavaiTask, run_id: str) -> HemisRun:
    return HemisRun(task.ctx, task.app, run_id)


@shared_task(name="hemis.start_run", base=NavaiTask, bind=True)
def start_run(self: NavaiTask, kind: str, run_id: str, then: str | None = None) -> dict[str, Any]:
    run = _run(self, run_id)
    if run.state.is_closed():
        return {"runId": run_id, "skipped": "run already closed"}
    run.init(kind, then)
    log.info("[HEMIS] run %s: starting the %s sync", run_id, kind)
    try:
        page = run.fetch(1)
        run.learn_size(page)
        if page.page_count == 0:
            run.finalize()
            return {"runId": run_id, "pages": 0}
        run.store(1, page)
    except RateLimitWait as exc:
        coordinator_waits(run, kind, then, exc)
        return {"runId": run_id, "waitS": exc.wait_s}
    except HemisRejected as exc:
        run.fail(str(exc))
        return {"runId": run_id, "failed": str(exc)}
    except UpstreamError as exc:
        run.fail(f"HEMIS page 1 could not be fetched, so the page count is unknown: {exc}")
        return {"runId": run_id, "failed": str(exc)}
    sent = run.fan_out_pages(range(2, page.page_count + 1))
    log.info("[HEMIS] run %s: enqueued %s page tasks", run_id, sent)
    return {"runId": run_id, "pages": page.page_count, "totalCount": page.total_count}


# ignore_result: nobody reads a page task's result (progress is counted in Redis), and storing it
# (plus its STARTED state) cost two result-backend writes per page.
@shared_task(name="hemis.sync_page", base=NavaiTask, bind=True, max_retries=PROTOCOL_RETRIES, ignore_result=True)
def sync_page(self: NavaiTask, kind: str, run_id: str, page: int) -> dict[str, Any]:
    run = _run(self, run_id)
    if not run.page_wanted(page):
        return {"runId": run_id, "page": page, "skipped": True}
    try:
        fetched = run.fetch(page)
        run.store(page, fetched)
    except RateLimitWait as exc:  # never fails the page: it is fetched again later
        page_waits(run, page, exc)
    except HemisRejected as exc:
        run.fail(str(exc))
    except HemisProtocolError as exc:
        if self.request.retries < PROTOCOL_RETRIES:
            raise self.retry(countdown=PROTOCOL_RETRY_DELAY_S * (self.request.retries + 1), exc=exc)
        run.page_failed(page, str(exc))
    except (Retry, *DB_UNAVAILABLE_ERRORS):
        raise  # PostgreSQL restarting: NavaiTask retries the page
    except Exception as exc:  # the page failed for good (upstream after retries, database): report it
        run.page_failed(page, f"{type(exc).__name__}: {exc}")
    return {"runId": run_id, "page": page}


@shared_task(name="hemis.publish_pages", base=NavaiTask, bind=True, ignore_result=True)
def publish_pages(self: NavaiTask, kind: str, run_id: str, pages: list[int]) -> dict[str, Any]:
    """Publish one chunk of a run's page tasks, each leased as it goes out. Run twice (its worker
    died midway and the sweeper published it again), it publishes only the pages neither done nor
    leased."""
    run = _run(self, run_id)
    if not run.settled or run.closed_at_start():
        return {"runId": run_id, "skipped": True}
    sent = run.enqueue_pages(pages, only_if_new=True)
    return {"runId": run_id, "pages": sent}


@shared_task(name="hemis.supervise_run", base=NavaiTask, bind=True)
def supervise_run(self: NavaiTask, run_id: str, token: str) -> dict[str, Any]:
    """Superseded by the recovery sweeper; kept so that messages queued by an older version end quietly."""
    return {"runId": run_id, "continues": False}


@shared_task(name="hemis.sync_one", base=NavaiTask, bind=True)
def sync_one(self: NavaiTask, kind: str, run_id: str) -> dict[str, Any]:
    """Sync one student (or every position row of one employee) found with `search=`. The id number
    to look up is read from the run record (`stats.idNumber`), never carried in the message."""
    hemis_id, id_number = _single_lookup(self, run_id)
    client = HemisClient.from_settings(self.ctx.settings, hemis_budget(self.ctx), http=http_session())
    errors: list[str] = []
    found: list[dict[str, Any]] = []
    try:
        found = [item for item in client.search(kind, id_number) if _matches(kind, item, hemis_id, id_number)]
        if not found:
            errors.append(f"HEMIS has no {kind[:-1]} with id number {id_number}"
                          + (f" and id {hemis_id}" if hemis_id else ""))
        stored = store_items(self.ctx.engine, kind, found, run_id=None)
        errors.extend(stored.problems)
    except RateLimitWait as exc:
        raise self.retry(countdown=exc.wait_s, max_retries=SINGLE_RATE_LIMIT_RETRIES, exc=exc)
    except UpstreamError as exc:
        errors.append(str(exc))
    status = RunStatus.COMPLETED.value if found and not errors else RunStatus.FAILED.value
    with session_scope(self.ctx.session_factory) as session:
        finish_run(session, run_id, status, total=len(found), processed=len(found) if status != "failed" else 0,
                   errors=errors, stats={"idNumber": id_number, "hemisId": hemis_id})
    count_records(self.ctx.redis, kind, len(found) if status != "failed" else 0)
    log.info("[HEMIS] single %s sync (run %s): %s row(s), %s", kind[:-1], run_id, len(found), status)
    # The result backend keeps counts only: the errors (which name the id number) are in the run record.
    return {"runId": run_id, "status": status, "found": len(found), "errorCount": len(errors)}


def _single_lookup(task: NavaiTask, run_id: str) -> tuple[str | None, str]:
    with session_scope(task.ctx.session_factory) as session:
        run = session.get(SyncRun, run_id)
        stats = dict(run.stats or {}) if run is not None else {}
    return stats.get("hemisId"), str(stats.get("idNumber") or "")


def _matches(kind: str, item: dict[str, Any], hemis_id: str | None, id_number: str) -> bool:
    number_field = "employee_id_number" if kind == EMPLOYEES else "student_id_number"
    if hemis_id is not None and id_text(item.get("id")) != hemis_id:
        return False
    return str(item.get(number_field) or "").strip() == id_number


@shared_task(name="hemis.nightly_sync", base=NavaiTask, bind=True)
def nightly_sync(self: NavaiTask) -> dict[str, Any]:
    """Beat's entry: students, then (when that run ends) employees, through the locked path."""
    try:
        started = start_full_run(kind="students", session_factory=self.ctx.session_factory, client=self.ctx.redis,
                                 progress=self.ctx.progress, celery=self.app, triggered_by="beat", then=EMPLOYEES)
    except RunAlreadyRunning as exc:
        log.warning("[HEMIS] nightly sync skipped: %s", exc)
        return {"skipped": str(exc), "runId": exc.run_id}
    log.info("[HEMIS] nightly sync started: run %s", started.run_id)
    return {"runId": started.run_id, "taskId": started.task_id}


@shared_task(name="hemis.watchdog", base=NavaiTask, bind=True)
def watchdog(self: NavaiTask) -> dict[str, Any]:
    """Superseded by `recovery.sweep` (which beat runs); checks the running runs the same way."""
    from workers.recovery.runs import check_hemis_runs

    return check_hemis_runs(self.ctx, self.app)


# --- leased units (workers.recovery) ---------------------------------------------------------------

def _abandon_page(ctx: Any, app: Any, spec: Any, message: str) -> None:
    _kind, run_id, page = spec.args[:3]
    HemisRun(ctx, app, run_id).page_failed(int(page), message)


def _abandon_start(ctx: Any, app: Any, spec: Any, message: str) -> None:
    HemisRun(ctx, app, spec.args[1]).fail(f"the coordinator: {message}")


def _abandon_publisher(ctx: Any, app: Any, spec: Any, message: str) -> None:
    _kind, run_id, pages = spec.args[:3]
    run = HemisRun(ctx, app, run_id)
    for page in pages:
        run.page_failed(int(page), f"never published: {message}")


def _abandon_one(ctx: Any, app: Any, spec: Any, message: str) -> None:
    with session_scope(ctx.session_factory) as session:
        finish_run(session, spec.args[1], RunStatus.FAILED.value, total=0, processed=0, errors=[message])


lease_task("hemis.start_run", kind=LEASE_KIND, abandon=_abandon_start,
           unit_of=lambda kind, run_id, then=None: f"{run_id}:start")
lease_task("hemis.sync_page", kind=LEASE_KIND, abandon=_abandon_page,
           unit_of=lambda kind, run_id, page: page_unit(run_id, page))
lease_task("hemis.publish_pages", kind=LEASE_KIND, abandon=_abandon_publisher,
           unit_of=lambda kind, run_id, pages: f"{run_id}:publish:{pages[0] if pages else ''}")
lease_task("hemis.sync_one", kind=LEASE_KIND, abandon=_abandon_one,
           unit_of=lambda kind, run_id: f"{run_id}:one")
