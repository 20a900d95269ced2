"""One HEMIS full run, seen from any worker: start, page work, failure, finalization, recovery checks."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from celery import Celery

from shared.db import session_scope
from shared.hemis_runs import HEMIS_KINDS, run_lock, start_full_run
from shared.models import RunStatus, SyncRun, utcnow
from shared.metrics import count_records
from shared.runs import finish_run
from shared.server_budget import ServerBudget
from workers.context import WorkerContext
from workers.hemis.client import RATE_LIMITER_NAME, HemisClient
from workers.hemis.envelope import Page
from workers.hemis.pages import page_anomalies, store_items
from workers.hemis.ratewait import THROTTLED_FIELD
from workers.hemis.runstate import RunState
from workers.hemis.upsert import mark_unseen_inactive

log = logging.getLogger("workers.hemis")

HEMIS_QUEUE = "hemis"
LEASE_KIND = "hemis"  # the lease kind of HEMIS units (workers.recovery)
PAGES_PER_PUBLISHER = 32  # a run's page tasks are published by parallel tasks of this many pages


def page_unit(run_id: str, page: int) -> str:
    return f"{run_id}:{page}"


@dataclass
class HemisRun:
    ctx: WorkerContext
    celery: Celery
    run_id: str

    def __post_init__(self) -> None:
        self.state = RunState(self.ctx.redis, self.ctx.progress, self.run_id)

    # --- helpers ---------------------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, str]:
        """The run's bookkeeping as it is now in Redis (one round trip per read)."""
        return self.state.meta()

    @cached_property
    def settled(self) -> dict[str, str]:
        """The meta as first read by this task. Enough for what `init` fixed for the whole run
        (kind, page size, `then`), read once instead of at every
        step of a page; an empty dict when the run's state is gone."""
        return self.meta

    def page_wanted(self, page: int) -> bool:
        """Whether a page task should fetch `page`: the run's state is there, the run is open and
        the page not done yet. The meta comes with the done check in one round trip, and is kept as
        `settled`."""
        meta, done = self.state.meta_and_done(page)
        self.__dict__["settled"] = meta  # what the `settled` cached_property would have read
        return bool(meta) and meta.get("closed") != "1" and not done

    def closed_at_start(self) -> bool:
        """`state.is_closed()` as of the settled read (the same hash), without another round trip."""
        return self.settled.get("closed") == "1"

    def client(self) -> HemisClient:
        return HemisClient.from_settings(self.ctx.settings, hemis_budget(self.ctx), http=http_session())

    def error(self, message: str) -> None:
        log.warning("[HEMIS] run %s: %s", self.run_id, message)
        self.ctx.progress.add_error(self.run_id, message)

    # --- start -----------------------------------------------------------------------------------
    def init(self, kind: str, then: str | None) -> None:
        settings = self.ctx.settings
        self.state.init_meta({"kind": kind, "page_size": settings.hemis_page_size, "then": then or "",
                              "started_at": time.time(), "deadline_s": settings.hemis_run_deadline_s})

    def learn_size(self, page: Page) -> None:
        self.state.init_meta({"page_count": page.page_count, "total_count": page.total_count})
        self.ctx.progress.update(self.run_id, totalRecords=page.total_count, pagesTotal=page.page_count,
                                 message=f"Fetched page 1 of {page.page_count}")
        log.info("[HEMIS] run %s: %s records in %s pages", self.run_id, page.total_count, page.page_count)

    def enqueue_pages(self, pages: range | list[int], *, only_if_new: bool) -> int:
        """One `hemis.sync_page` per page (leased as it is published); with `only_if_new`, pages
        already done or leased are left alone (a coordinator delivered again)."""
        kind = self.settled["kind"]
        wanted = list(pages)
        if only_if_new:
            done = self.state.done_pages()
            leased = self.ctx.leases.leased(LEASE_KIND, [page_unit(self.run_id, page) for page in wanted])
            wanted = [page for page in wanted if page not in done and page_unit(self.run_id, page) not in leased]
        # One producer for the whole chunk: acquiring one from the pool per message cost as much
        # as the publish itself.
        with self.celery.producer_or_acquire() as producer:
            for page in wanted:
                self.celery.send_task("hemis.sync_page", args=[kind, self.run_id, page], producer=producer)
        return len(wanted)

    def fan_out_pages(self, pages: range) -> int:
        """All pages of a new run, published by `hemis.publish_pages` tasks of PAGES_PER_PUBLISHER
        pages each, in parallel on the workers (each a leased unit: a publisher whose worker dies is
        published again, and publishes only the pages not yet done or leased). One coordinator
        publishing hundreds of tasks while every other pool process works on pages was the slowest
        part of a run (measured: 464 pages took it 12 s)."""
        kind, pages = self.settled["kind"], list(pages)
        for start in range(0, len(pages), PAGES_PER_PUBLISHER):
            self.celery.send_task("hemis.publish_pages", args=[kind, self.run_id,
                                                               pages[start:start + PAGES_PER_PUBLISHER]])
        return len(pages)

    # --- pages -----------------------------------------------------------------------------------
    def fetch(self, page: int) -> Page:
        return self.client().list_page(self.settled["kind"], page, int(self.settled["page_size"]))

    def store(self, page_number: int, page: Page) -> None:
        """Upsert the page, record its facts, count it once; finalize if it was the last."""
        kind = self.settled["kind"]
        stored = store_items(self.ctx.engine, kind, page.items, self.run_id)
        for problem in stored.problems + page_anomalies(page_number, page):
            self.error(problem)
        self.state.record_page_facts(page_number, stored.ids, page.total_count)
        log.info("[HEMIS] run %s: page %s stored (%s records, %s unverified)", self.run_id, page_number,
                 stored.written, stored.unverified)
        self.page_finished(page_number, stored.written, failed=False)

    def page_failed(self, page: int, message: str) -> None:
        self.error(f"page {page} failed: {message}")
        self.page_finished(page, 0, failed=True)

    def page_finished(self, page: int, records: int, *, failed: bool) -> None:
        finished = self.state.finish_page(page, records, failed, message=f"Processing page {page}...")
        # Fixed once page 1 is in; a page task read it with the settled meta (the coordinator did not).
        settled_count = self.settled.get("page_count")
        page_count = int(settled_count) if settled_count else self.state.page_count()
        if finished is not None:
            count_records(self.ctx.redis, self.settled["kind"], records)
        if page_count is not None and finished is not None and finished >= page_count:
            self.finalize()
        else:
            self.keep_lock()

    # --- end ------------------------------------------------------------------------------------
    def fail(self, message: str) -> None:
        """End the run at once (bad token, HEMIS unreachable for page 1)."""
        self.error(message)
        self.state.set_meta(fatal=message)
        self.finalize()

    def finalize(self) -> bool:
        if self.state.is_closed() or not self.state.claim_finalize():
            return False
        meta = self.meta
        kind = meta.get("kind", "")
        report = consistency_report(self.state, meta)
        for message in report.errors:
            self.error(message)
        status = report.status(fatal=bool(meta.get("fatal")))
        deactivated = 0
        if status == RunStatus.COMPLETED.value and report.distinct > 0:
            with session_scope(self.ctx.session_factory) as session:
                run = session.get(SyncRun, self.run_id)
                started_at = run.started_at if run is not None else utcnow()
                deactivated = mark_unseen_inactive(session, kind, self.run_id, started_at)
        self._record(status, report, deactivated)
        self.state.close()
        run_lock(self.ctx.redis, kind).release(self.run_id)
        log.info("[HEMIS] run %s (%s) finished: %s, %s records, %s marked inactive", self.run_id, kind, status,
                 report.processed, deactivated)
        self._start_next(meta.get("then") or "")
        return True

    def _record(self, status: str, report: "ConsistencyReport", deactivated: int) -> None:
        progress = self.ctx.progress
        live = progress.get(self.run_id) or {}
        errors = progress.errors(self.run_id)
        end_ms = int(time.time() * 1000)
        stats = {"pagesTotal": report.page_count, "pagesDone": report.pages_done, "failedPages": report.failed_pages,
                 "distinctIds": report.distinct, "totalCount": report.total_count, "deactivated": deactivated,
                 THROTTLED_FIELD: int(live.get(THROTTLED_FIELD) or 0)}
        with session_scope(self.ctx.session_factory) as session:
            finish_run(session, self.run_id, status, total=report.total_count, processed=report.processed,
                       failed=len(report.failed_pages), errors=errors, stats=stats)
        start_ms = int(live.get("startTime") or end_ms)
        progress.update(self.run_id, status=status, endTime=end_ms, duration=end_ms - start_ms,
                        message=f"HEMIS sync {status}: {report.processed} of {report.total_count} records")

    def _start_next(self, then: str) -> None:
        if not then:
            return
        try:
            start_full_run(kind=then, session_factory=self.ctx.session_factory, client=self.ctx.redis,
                           progress=self.ctx.progress, celery=self.celery, triggered_by="beat")
        except Exception as exc:  # a running run of that kind is fine; anything else is logged
            log.warning("[HEMIS] could not start the %s sync after run %s: %s", then, self.run_id, exc)

    # --- recovery (workers.recovery) ---------------------------------------------------------
    def check(self) -> str:
        """The sweeper's look at a running run (beat or a task drives it, no countdown chain):
        Redis lost its state, every page done but not finalized, or going on (lock extended).
        Pages of workers that died are published again by the sweeper from their leases."""
        if self.state.is_closed():
            return "closed"
        meta = self.meta
        if not meta.get("kind"):
            if self.ctx.progress.get(self.run_id) is None:
                self._state_lost()
                return "state lost"
            return self._ensure_coordinator()
        if not self._keep_lock(meta["kind"]):
            return "lock lost"
        page_count = self.state.page_count()
        if page_count is not None and len(self.state.done_pages()) >= page_count:
            self.finalize()
            return "finalized"
        return "running"

    def _ensure_coordinator(self) -> str:
        """The trigger recorded the run but its process died before publishing the coordinator
        (an API process killed mid-request): publish it now. A coordinator already published has
        a lease, and one published twice runs once (the older copy is fenced)."""
        if self.ctx.leases.exists(LEASE_KIND, f"{self.run_id}:start"):
            return "starting"
        kind = (self.ctx.progress.get(self.run_id) or {}).get("kind", "")
        if kind not in HEMIS_KINDS:
            return "starting"
        self.celery.send_task("hemis.start_run", args=[kind, self.run_id])
        log.warning("[HEMIS] run %s: its coordinator was never queued; queued it now", self.run_id)
        return "coordinator queued"

    def _state_lost(self) -> None:
        """Redis lost the run's bookkeeping (restarted empty, flushed): end the run as failed, it can be re-run."""
        message = "Redis lost the run's state (restarted empty?); start the sync again"
        log.error("[HEMIS] run %s: %s", self.run_id, message)
        with session_scope(self.ctx.session_factory) as session:
            finish_run(session, self.run_id, RunStatus.FAILED.value, total=0, processed=0, errors=[message])
        self.state.close()
        for kind in HEMIS_KINDS:
            run_lock(self.ctx.redis, kind).release(self.run_id)

    def keep_lock(self) -> None:
        """Extend the run's lock (pages do it as they finish; the sweeper while the run waits)."""
        kind = self.settled.get("kind")
        if kind:
            run_lock(self.ctx.redis, kind).extend(self.run_id)

    def _keep_lock(self, kind: str) -> bool:
        lock = run_lock(self.ctx.redis, kind)
        if lock.extend(self.run_id):
            return True
        holder = lock.acquire(self.run_id)
        if holder is None:
            return True
        self.fail(f"the run lost its lock to run {holder}")
        return False


@dataclass
class ConsistencyReport:
    page_count: int
    pages_done: int
    failed_pages: list[int]
    total_count: int
    distinct: int
    processed: int
    errors: list[str]

    def status(self, *, fatal: bool) -> str:
        if fatal or (self.page_count and len(self.failed_pages) >= self.page_count):
            return RunStatus.FAILED.value
        if self.failed_pages or self.errors:
            return RunStatus.COMPLETED_WITH_ERRORS.value
        return RunStatus.COMPLETED.value


def consistency_report(state: RunState, meta: dict[str, str]) -> ConsistencyReport:
    """Drift checks: repeated pages, a changing totalCount, distinct ids vs totalCount."""
    page_count = int(meta.get("page_count") or 0)
    total_count = int(meta.get("total_count") or 0)
    failed = state.failed_pages()
    distinct = state.distinct_ids()
    live = state.progress.get(state.run_id) or {}
    errors: list[str] = []
    fingerprints = state.fingerprints()
    for page in range(2, page_count + 1):
        if page in fingerprints and fingerprints.get(page) == fingerprints.get(page - 1):
            errors.append(f"page {page} repeats the ids of page {page - 1} (pagination drift)")
    totals = sorted(set(state.totals_seen().values()))
    if len(totals) > 1:
        errors.append(f"totalCount changed during the run: {', '.join(map(str, totals))}")
    if not meta.get("fatal") and not failed and distinct != total_count:
        errors.append(f"distinct ids seen {distinct} differ from totalCount {total_count} "
                      f"(difference {distinct - total_count:+d})")
    return ConsistencyReport(page_count=page_count, pages_done=len(state.done_pages()), failed_pages=failed,
                             total_count=total_count, distinct=distinct,
                             processed=int(live.get("processedRecords") or 0), errors=errors)


def hemis_budget(ctx: WorkerContext) -> ServerBudget:
    """This task's handle on the deployment's HEMIS budget, with HEMIS_RATE_LIMIT as our own cap."""
    return ServerBudget(ctx.redis, RATE_LIMITER_NAME, ctx.settings.hemis_rate_limit)


_HTTP = threading.local()


def http_session() -> Any:
    """One keep-alive HTTP session per worker process and thread (made after fork, on first use)."""
    import requests

    if getattr(_HTTP, "pid", None) != os.getpid():
        _HTTP.pid, _HTTP.session = os.getpid(), requests.Session()
    return _HTTP.session
