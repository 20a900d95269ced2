"""Celery tasks of the HEMIS sync (queue `hemis`).

- `hemis.start_run`: the coordinator; fetches page 1, learns pageCount, opens the run's page window.
- `hemis.sync_page`: one page, one transaction; it publishes the next pages the window has room
  for, and the last page to finish finalizes the run.
- `hemis.publish_pages`: publishes a chunk of the run's page tasks not done nor leased (runs whose
  pages were all published at once, before the window).
- `hemis.sync_one`: one student or employee, looked up with `search=` (`single`).
Beat's entries, per organization, are `workers.hemis.schedules`.
Every task is safe to run twice. All but the nightly entry are leased units (`shared.units`): one
whose worker dies is published again by the recovery sweeper, which also finalizes a run whose
pages are all done and keeps its lock (`recovery`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import Retry

from shared import catalog
from shared.db import DB_UNAVAILABLE_ERRORS
from workers.base import NavaiTask
from workers.hemis import single
from workers.hemis.client import HemisRejected
from workers.hemis.envelope import HemisProtocolError
from workers.hemis.run import HemisRun
from workers.ratelimit.budget import Booking, RateLimitWait
from workers.upstream.http import UpstreamError, backoff_s

log = logging.getLogger("workers.hemis")

PROTOCOL_RETRIES = 2  # an HTML page with status 200, success=false: try the page twice more
PROTOCOL_RETRY_BASE_DELAY_S = 2.0
PROTOCOL_RETRY_MAX_DELAY_S = 8.0
SINGLE_RATE_LIMIT_RETRIES = 100  # a single-record sync waits out HEMIS's rate limit this many times
# A refusal every kind of a nightly chain would get too: the token (401, 403), or no HEMIS at all
# (None: the organization has none). A 404 may be one list this HEMIS does not serve: the chain goes on.
TOKEN_REFUSALS = frozenset({401, 403, None})


@shared_task(name=catalog.HEMIS_START_RUN, base=NavaiTask, bind=True)
def start_run(self: NavaiTask, kind: str, run_id: str, then: str | None = None,
              booked: list[float] | None = None) -> dict[str, Any]:
    run = HemisRun(self.svc, run_id)
    if run.ledger.is_closed():
        return {"runId": run_id, "skipped": "run already closed"}
    if run.cancelled():  # not one page is fetched
        return {"runId": run_id, "skipped": "run cancelled"}
    run.init(kind, then)
    log.info("[HEMIS] run %s: starting the %s sync", run_id, kind)
    try:
        page = run.fetch(1, Booking.from_message(booked))
        run.learn_size(page)
        if page.page_count == 0:
            run.finalize()
            return {"runId": run_id, "pages": 0}
        run.open_window()
        run.store(1, page)
    except RateLimitWait as exc:
        run.coordinator_waits(kind, then, exc)
        return {"runId": run_id, "waitS": exc.wait_s}
    except HemisRejected as exc:
        run.fail(str(exc), ends_chain=exc.status in TOKEN_REFUSALS)
        return {"runId": run_id, "failed": str(exc)}
    except UpstreamError as exc:
        run.fail(f"HEMIS page 1 could not be fetched, so the page count is unknown: {exc}")
        return {"runId": run_id, "failed": str(exc)}
    sent = run.fill_window()
    log.info("[HEMIS] run %s: %s pages, the first %s page tasks enqueued", run_id, page.page_count, sent)
    return {"runId": run_id, "pages": page.page_count, "totalCount": page.total_count}


# ignore_result: nobody reads a page task's result (progress is counted in Redis), and storing it
# (plus its STARTED state) cost two result-backend writes per page.
@shared_task(name=catalog.HEMIS_SYNC_PAGE, base=NavaiTask, bind=True, max_retries=PROTOCOL_RETRIES,
             ignore_result=True)
def sync_page(self: NavaiTask, kind: str, run_id: str, page: int, booked: list[float] | None = None) -> dict[str, Any]:
    """One page; `booked`: the request slot reserved for it when it last had to wait."""
    run = HemisRun(self.svc, run_id)
    if not run.page_wanted(page):
        return {"runId": run_id, "page": page, "skipped": True}
    try:
        run.store(page, run.fetch(page, Booking.from_message(booked)), waited=booked is not None)
    except RateLimitWait as exc:  # never fails the page: it is fetched again later
        run.page_waits(page, exc)
    except HemisRejected as exc:
        run.fail(str(exc), ends_chain=exc.status in TOKEN_REFUSALS)
    except HemisProtocolError as exc:
        retries = self.request.retries
        if retries < PROTOCOL_RETRIES:
            raise self.retry(exc=exc, countdown=backoff_s(PROTOCOL_RETRY_BASE_DELAY_S, retries,
                                                          PROTOCOL_RETRY_MAX_DELAY_S))
        run.page_failed(page, str(exc))
    except (Retry, *DB_UNAVAILABLE_ERRORS):
        raise  # PostgreSQL restarting: NavaiTask retries the page
    except Exception as exc:  # the page failed for good (upstream after retries, database): report it
        run.page_failed(page, f"{type(exc).__name__}: {exc}")
    return {"runId": run_id, "page": page}


@shared_task(name=catalog.HEMIS_PUBLISH_PAGES, base=NavaiTask, bind=True, ignore_result=True)
def publish_pages(self: NavaiTask, kind: str, run_id: str, pages: list[int]) -> dict[str, Any]:
    """Publish one chunk of a run's page tasks, each leased as it goes out. Run twice (its worker
    died midway and the sweeper published it again), it publishes only the pages neither done nor
    leased."""
    run = HemisRun(self.svc, run_id)
    if not run.settled or run.closed_at_start() or run.cancelled():
        return {"runId": run_id, "skipped": True}
    return {"runId": run_id, "pages": run.publish_pages(pages)}


@shared_task(name=catalog.HEMIS_SYNC_ONE, base=NavaiTask, bind=True)
def sync_one(self: NavaiTask, kind: str, run_id: str) -> dict[str, Any]:
    """Sync one student (or every position row of one employee) found with `search=`."""
    lookup = single.lookup_of(self.svc, run_id)
    try:
        outcome = single.sync_record(self.svc, kind, lookup)
    except RateLimitWait as exc:
        raise self.retry(countdown=exc.wait_s, max_retries=SINGLE_RATE_LIMIT_RETRIES, exc=exc)
    single.record_outcome(self.svc, run_id, kind, lookup, outcome)
    log.info("[HEMIS] single %s sync (run %s): %s row(s), %s", kind[:-1], run_id, outcome.found, outcome.status)
    # The result backend keeps counts only: the errors (which name the id number) are in the run record.
    return {"runId": run_id, "status": outcome.status, "found": outcome.found, "errorCount": len(outcome.errors)}
