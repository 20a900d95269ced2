"""One HEMIS full run, seen from any worker: start, pages, waits for HEMIS's rate limit, the end.

Every task of a run (the coordinator, page publishers, pages) builds a `HemisRun` for its run id;
the run's bookkeeping is in Redis (`ledger`), shared by every worker on every host.

Waiting for the rate limit: a page (or the coordinator's page 1) that HEMIS's budget says must wait
is not failed and does not sleep in a worker slot: its task is published again with a countdown,
as often as it takes. The page stays out of the run's `done` set, and its lease carries the
countdown, so a worker that dies holding the delayed message costs nothing. Only the run's deadline
(HEMIS_RUN_DEADLINE_S from its start) ends a run the limit keeps from finishing, with a message
naming the rate limit. Progress shows the wait and counts 429s.
"""

from __future__ import annotations

import logging
import math
import random
import time
from functools import cached_property

from shared import catalog
from shared.hemis.names import chain_after, run_lock
from shared.hemis.start import TRIGGERED_BY_BEAT, start_full_run
from shared.leases.publish import publish_leased
from shared.metrics import count_records
from shared.models import RunStatus, SyncRun, utcnow
from shared.runs.cancel import RunCounts, is_cancelled, record_cancelled_counts
from shared.runs.locks import RunLock
from shared.runs.record import finish_run
from shared.services import Services
from shared.units import KIND_HEMIS, hemis_sync_page
from workers.hemis.client import HemisClient
from workers.hemis.consistency import ConsistencyReport, consistency_report
from workers.hemis.envelope import Page
from workers.hemis.ledger import RunLedger
from workers.hemis.pages import page_anomalies, store_items
from workers.hemis.upsert import mark_unseen_inactive
from workers.ratelimit.budget import BOOKING_WAKE_EARLY_S, Booking, RateLimitWait

log = logging.getLogger("workers.hemis")

# The page window: a run has at most HEMIS_PAGES_IN_FLIGHT pages published and not done (queued, or
# waiting for their request slot). It opens at INITIAL_PAGES_IN_FLIGHT after page 1; a page that
# went at once makes room for two more (the window grows to the setting while the server keeps
# up), a page that had to wait for its slot for one (a paced server's window stays small).
INITIAL_PAGES_IN_FLIGHT = 4
PAGES_AFTER_A_PROMPT_PAGE = 2
PAGES_AFTER_A_WAITING_PAGE = 1
REQUEUE_JITTER_S = 0.25  # tasks woken by the end of one pause do not all ask in the same instant
THROTTLED_FIELD = "http429"  # progress counter (and run stats key) of HEMIS's 429 answers


class HemisRun:
    def __init__(self, svc: Services, run_id: str) -> None:
        self.svc = svc
        self.run_id = run_id
        self.ledger = RunLedger(svc.redis, svc.progress, run_id)

    # --- what this task knows of the run ------------------------------------------------------------
    @property
    def meta(self) -> dict[str, str]:
        """The run's bookkeeping as it is now in Redis (one round trip per read)."""
        return self.ledger.meta()

    @cached_property
    def settled(self) -> dict[str, str]:
        """The meta as first read by this task: enough for what `init` fixed for the whole run (kind,
        page size, `then`, deadline), read once instead of at every step of a page; an empty dict
        when the run's state is gone."""
        return self.meta

    def page_wanted(self, page: int) -> bool:
        """Whether a page task should fetch `page`: the run's state is there, the run is open and
        the page not done yet, and the run not cancelled. The meta comes with the done and cancel
        checks in one round trip, and is kept as `settled`."""
        meta, done, cancelled = self.ledger.meta_and_done(page)
        self.__dict__["settled"] = meta  # what the `settled` cached_property would have read
        return bool(meta) and meta.get("closed") != "1" and not done and not cancelled

    def cancelled(self) -> bool:
        """Whether the run was cancelled (`shared.runs.cancel`): nothing more is fetched for it."""
        return is_cancelled(self.svc, self.run_id)

    def closed_at_start(self) -> bool:
        """`ledger.is_closed()` as of the settled read (the same hash), without another round trip."""
        return self.settled.get("closed") == "1"

    def error(self, message: str) -> None:
        log.warning("[HEMIS] run %s: %s", self.run_id, message)
        self.svc.progress.add_error(self.run_id, message)

    @cached_property
    def organization_id(self) -> int:
        """The organization whose HEMIS the run syncs: fixed in the meta by `init`, else (the meta
        gone, or not written yet) read from the run's record."""
        fixed = self.settled.get("organization_id")
        if fixed:
            return int(fixed)
        with self.svc.session() as session:
            record = session.get(SyncRun, self.run_id)
            return int(record.organization_id) if record is not None and record.organization_id else 0

    # --- start -----------------------------------------------------------------------------------
    def init(self, kind: str, then: str | None) -> None:
        """Fix what the whole run goes by, once (a redelivered coordinator keeps the first values)."""
        settings = self.svc.settings
        self.ledger.init_meta({"kind": kind, "organization_id": self.organization_id, "page_size": settings.hemis_page_size,
                               "then": then or "", "started_at": time.time(),
                               "deadline_s": settings.hemis_run_deadline_s})
        self.__dict__.pop("settled", None)  # read again, with what was just fixed

    def learn_size(self, page: Page) -> None:
        self.ledger.init_meta({"page_count": page.page_count, "total_count": page.total_count})
        self.svc.progress.update(self.run_id, totalRecords=page.total_count, pagesTotal=page.page_count,
                                 message=f"Fetched page 1 of {page.page_count}")
        log.info("[HEMIS] run %s: %s records in %s pages", self.run_id, page.total_count, page.page_count)

    def open_window(self) -> None:
        """Page 1 is about to be stored: pages 2.. are published through the window from now on.

        Why a window, not every page at once: with many universities syncing, a run publishing all
        its pages put hundreds of tasks ahead of every other run's in the one `hemis` queue, most of
        them only to learn they must wait for their slot (measured: ~1,000 page tasks queued for 8 s
        at the start of 40 runs, the small universities' pages behind them)."""
        self.ledger.init_meta({"published": 1})

    def fill_window(self) -> int:
        """Publish pages up to the opening window (the coordinator, once page 1 is in)."""
        opening = self._opening_window()
        return self.publish_claimed(self.ledger.claim_pages(opening, opening))

    def _opening_window(self) -> int:
        return min(INITIAL_PAGES_IN_FLIGHT, self.svc.settings.hemis_pages_in_flight)

    def slide_window(self, *, waited: bool) -> int:
        """A page finished: publish the next ones the window has room for."""
        wanted = PAGES_AFTER_A_WAITING_PAGE if waited else PAGES_AFTER_A_PROMPT_PAGE
        return self.publish_claimed(self.ledger.claim_pages(wanted, self.svc.settings.hemis_pages_in_flight))

    def publish_claimed(self, pages: list[int]) -> int:
        kind = self.settled["kind"]
        if pages:
            with self.svc.celery.producer_or_acquire() as producer:
                for page in pages:
                    publish_leased(self.svc, catalog.HEMIS_SYNC_PAGE, args=[kind, self.run_id, page],
                                   producer=producer)
        return len(pages)

    def repair_window(self) -> int:
        """The sweeper's look at the window: publish again the pages claimed but neither done nor
        leased (a worker died between claiming and publishing them), and reopen a window that
        closed with pages left (each page that finished made no room: it finished twice, or its
        worker died before sliding it). Returns the pages published."""
        published = self.ledger.published()
        if published is None or self.cancelled():
            return 0
        lost = self.publish_pages(list(range(2, published + 1)))
        if lost or published > len(self.ledger.done_pages()):
            return lost  # pages are out: they slide the window as they finish
        opening = self._opening_window()
        return self.publish_claimed(self.ledger.claim_pages(opening, opening))

    def publish_pages(self, pages: list[int]) -> int:
        """One `hemis.sync_page` per page not done nor leased yet (a publisher may run twice)."""
        kind = self.settled["kind"]
        done = self.ledger.done_pages()
        units = {page: hemis_sync_page(kind, self.run_id, page).name for page in pages if page not in done}
        leased = self.svc.leases.leased(KIND_HEMIS, list(units.values()))
        wanted = [page for page, unit in units.items() if unit not in leased]
        # One producer for the whole chunk: acquiring one from the pool per message cost as much
        # as the publish itself.
        with self.svc.celery.producer_or_acquire() as producer:
            for page in wanted:
                publish_leased(self.svc, catalog.HEMIS_SYNC_PAGE, args=[kind, self.run_id, page], producer=producer)
        return len(wanted)

    # --- pages -----------------------------------------------------------------------------------
    def fetch(self, page: int, booking: Booking | None = None) -> Page:
        """The page from the organization's HEMIS (spending `booking`, the request slot reserved
        for it when it had to wait)."""
        client = HemisClient.for_organization(self.svc, self.organization_id)
        if client.budget is not None:
            client.budget.use_booking(booking)
        return client.list_page(self.settled["kind"], page, int(self.settled["page_size"]))

    def store(self, page_number: int, page: Page, *, waited: bool = False) -> None:
        """Upsert the page, record its facts, count it once; finalize if it was the last, else
        slide the window (`waited`: the page had to wait for its request slot)."""
        kind = self.settled["kind"]
        stored = store_items(self.svc.engine, kind, page.items, self.run_id, organization_id=self.organization_id)
        for problem in stored.problems + page_anomalies(page_number, page):
            self.error(problem)
        self.ledger.record_page_facts(page_number, stored.ids, page.total_count)
        log.info("[HEMIS] run %s: page %s stored (%s records, %s unverified)", self.run_id, page_number,
                 stored.written, stored.unverified)
        self.page_finished(page_number, stored.written, failed=False, waited=waited)

    def page_failed(self, page: int, message: str) -> None:
        self.error(f"page {page} failed: {message}")
        self.page_finished(page, 0, failed=True)

    def page_finished(self, page: int, records: int, *, failed: bool, waited: bool = False) -> None:
        finished = self.ledger.finish_page(page, records, failed, message=f"Processing page {page}...")
        # Fixed once page 1 is in; a page task read it with the settled meta (the coordinator did not).
        settled_count = self.settled.get("page_count")
        page_count = int(settled_count) if settled_count else self.ledger.page_count()
        if finished is not None:
            count_records(self.svc.redis, self.settled["kind"], records)
        if page_count is not None and finished is not None and finished >= page_count:
            self.finalize()
        elif not self.keep_lock() and self.cancelled():  # in flight at the cancel: kept, and counted
            self.record_cancelled_counts()
        elif finished is not None and not self.cancelled():
            self.slide_window(waited=waited)

    # --- waiting for HEMIS's rate limit ------------------------------------------------------------
    def page_waits(self, page: int, wait: RateLimitWait) -> None:
        """Publish the page's task again when HEMIS's budget allows (or at the deadline, to end the run)."""
        if self._still_in_time(wait):
            publish_leased(self.svc, catalog.HEMIS_SYNC_PAGE, args=[self.settled["kind"], self.run_id, page],
                           kwargs=_booked(wait), countdown=self._countdown_s(wait))

    def coordinator_waits(self, kind: str, then: str | None, wait: RateLimitWait) -> None:
        """Page 1 must wait: start the coordinator again later (its lease follows the countdown)."""
        if self._still_in_time(wait):
            publish_leased(self.svc, catalog.HEMIS_START_RUN, args=[kind, self.run_id],
                           kwargs={"then": then, **_booked(wait)}, countdown=self._countdown_s(wait))

    def _still_in_time(self, wait: RateLimitWait) -> bool:
        """Count a 429, then either end the run at its deadline or show that it waits."""
        if wait.throttled:
            self.svc.progress.incr(self.run_id, THROTTLED_FIELD)
        if self.deadline_left_s() < 0:
            self.fail(self.deadline_message())
            return False
        self.svc.progress.update(self.run_id, message=f"Waiting for HEMIS rate limit ({math.ceil(wait.wait_s)} s)",
                                 waitUntil=time.time() + wait.wait_s)  # keeps the message up while it waits
        return True

    def _countdown_s(self, wait: RateLimitWait) -> float:
        # Back no later than the deadline, to end the run then if the server still refuses. A booked
        # slot is its own: back exactly for it; an unbooked wait is shared, so wakers are spread.
        if wait.booking is not None:  # back a little early; the budget sleeps the rest in place
            return max(0.0, min(wait.wait_s - BOOKING_WAKE_EARLY_S, self.deadline_left_s() + REQUEUE_JITTER_S))
        return min(wait.wait_s, self.deadline_left_s() + REQUEUE_JITTER_S) + random.uniform(0, REQUEUE_JITTER_S)

    def deadline_left_s(self) -> float:
        started = float(self.settled.get("started_at") or time.time())
        return started + self._deadline_s() - time.time()

    def _deadline_s(self) -> float:
        return float(self.settled.get("deadline_s") or self.svc.settings.hemis_run_deadline_s)

    def deadline_message(self) -> str:
        done, total = len(self.ledger.done_pages()), self.ledger.page_count()
        return (f"HEMIS rate limit: the run could not finish within HEMIS_RUN_DEADLINE_S ({self._deadline_s():.0f} s); "
                f"{done} of {total if total is not None else '?'} pages done")

    # --- the end ---------------------------------------------------------------------------------
    def fail(self, message: str, *, ends_chain: bool = False) -> None:
        """End the run at once (bad token, HEMIS unreachable for page 1, deadline passed).
        `ends_chain`: the kinds a nightly chain was to sync next are not started either (HEMIS
        refused the token: every one of them would fail the same way)."""
        self.error(message)
        self.ledger.set_meta(fatal=message, **({"ends_chain": "1"} if ends_chain else {}))
        self.finalize()

    def finalize(self) -> bool:
        if self.ledger.is_closed() or not self.ledger.claim_finalize():
            return False
        if self.cancelled():
            return self._end_cancelled()
        meta = self.meta
        kind = meta.get("kind", "")
        report = consistency_report(self.ledger, meta)
        for message in report.errors:
            self.error(message)
        status = report.status(fatal=bool(meta.get("fatal")))
        deactivated = self._deactivate_unseen(kind) if status == RunStatus.COMPLETED.value and report.distinct else 0
        self._record(status, report, deactivated)
        self.ledger.close()
        self.lock(kind).release(self.run_id)
        log.info("[HEMIS] run %s (%s) finished: %s, %s records, %s marked inactive", self.run_id, kind, status,
                 report.processed, deactivated)
        if meta.get("ends_chain") == "1":
            log.warning("[HEMIS] run %s: HEMIS refused the organization's token; the chain stops here", self.run_id)
        else:
            self._start_next(meta.get("then") or "")
        return True

    def _deactivate_unseen(self, kind: str) -> int:
        with self.svc.session() as session:
            run = session.get(SyncRun, self.run_id)
            started_at = run.started_at if run is not None else utcnow()
            return mark_unseen_inactive(session, kind, self.organization_id, self.run_id, started_at)

    def _end_cancelled(self) -> bool:
        """The run was cancelled and its last pages, in flight then, are in: they count in the
        cancelled run, no record is deactivated and no next kind started."""
        self.record_cancelled_counts()
        self.ledger.close()
        log.info("[HEMIS] run %s was cancelled; its pages in flight are in", self.run_id)
        return True

    def record_cancelled_counts(self) -> None:
        record_cancelled_counts(self.svc, self.run_id, self._counts)

    def _counts(self) -> RunCounts:
        report = consistency_report(self.ledger, self.meta)
        stats = self._stats(report, 0, self.svc.progress.get(self.run_id) or {})
        return RunCounts(total=report.total_count, processed=report.processed, failed=len(report.failed_pages),
                         stats=stats)

    @staticmethod
    def _stats(report: ConsistencyReport, deactivated: int, live: dict[str, str]) -> dict[str, object]:
        return {"pagesTotal": report.page_count, "pagesDone": report.pages_done, "failedPages": report.failed_pages,
                "distinctIds": report.distinct, "totalCount": report.total_count, "deactivated": deactivated,
                THROTTLED_FIELD: int(live.get(THROTTLED_FIELD) or 0)}

    def _record(self, status: str, report: ConsistencyReport, deactivated: int) -> None:
        progress = self.svc.progress
        live = progress.get(self.run_id) or {}
        errors = progress.errors(self.run_id)
        end_ms = int(time.time() * 1000)
        stats = self._stats(report, deactivated, live)
        with self.svc.session() as session:
            finish_run(session, self.run_id, status, total=report.total_count, processed=report.processed,
                       failed=len(report.failed_pages), errors=errors, stats=stats)
        start_ms = int(live.get("startTime") or end_ms)
        progress.update(self.run_id, status=status, endTime=end_ms, duration=end_ms - start_ms,
                        message=f"HEMIS sync {status}: {report.processed} of {report.total_count} records")

    def _start_next(self, then: str) -> None:
        """Start the next kind of a chain (the nightly sync), handing it the kinds after it."""
        next_kind, rest = chain_after(then)
        if next_kind is None:
            return
        try:
            start_full_run(self.svc, next_kind, organization_id=self.organization_id,
                           triggered_by=self._triggered_by(), then=rest)
        except Exception as exc:  # a running run of that kind is fine; anything else is logged
            log.warning("[HEMIS] could not start the %s sync after run %s: %s", next_kind, self.run_id, exc)

    def _triggered_by(self) -> str:
        """Who started the chain this run is part of (beat, the CLI, a user): its next runs say so too."""
        with self.svc.session() as session:
            record = session.get(SyncRun, self.run_id)
            return (record.triggered_by if record is not None else None) or TRIGGERED_BY_BEAT

    # --- the run's lock --------------------------------------------------------------------------
    def keep_lock(self) -> bool:
        """Extend the run's lock (pages do it as they finish; the sweeper while the run waits);
        False when the run does not hold it (any more)."""
        kind = self.settled.get("kind")
        return bool(kind) and self.lock(kind).extend(self.run_id)

    def lock(self, kind: str) -> RunLock:
        """The lock of the organization's runs of `kind`."""
        return run_lock(self.svc.redis, self.organization_id, kind)

    def hold_lock(self, kind: str) -> bool:
        """Extend the lock, or take it back if it expired; a run that lost it to another run fails."""
        lock = self.lock(kind)
        if lock.extend(self.run_id):
            return True
        holder = lock.acquire(self.run_id)
        if holder is None and self.cancelled():  # the cancel freed it (and raised the flag first)
            lock.release(self.run_id)
            return False
        if holder is None:
            return True
        self.fail(f"the run lost its lock to run {holder}")
        return False


def _booked(wait: RateLimitWait) -> dict[str, object]:
    """The task's `booked` argument: the slot reserved for it, if any (numbers only)."""
    return {"booked": wait.booking.as_message()} if wait.booking is not None else {}
