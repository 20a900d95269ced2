"""A HEMIS run waiting for the server's rate limit.

A page (or the coordinator's page 1) that HEMIS's budget says must wait is not failed and does not
sleep in a worker slot: its task is sent again with a countdown, as often as it takes. The page
stays out of the run's `done` set, and its lease (workers.recovery) carries the countdown, so a
worker that dies holding the delayed message costs nothing. Only the run's deadline (HEMIS_RUN_DEADLINE_S from its start) ends a run the limit keeps
from finishing, with a message naming the rate limit. Progress shows the wait and counts 429s.
"""

from __future__ import annotations

import math
import random
import time
from typing import TYPE_CHECKING

from shared.server_budget import RateLimitWait

if TYPE_CHECKING:
    from workers.hemis.run import HemisRun

REQUEUE_JITTER_S = 0.25  # tasks woken by the end of one pause do not all ask in the same instant
THROTTLED_FIELD = "http429"  # progress counter (and run stats key) of HEMIS's 429 answers


def page_waits(run: "HemisRun", page: int, wait: RateLimitWait) -> None:
    """Send the page's task again when HEMIS's budget allows (or at the deadline, to end the run)."""
    if not _still_in_time(run, wait):
        return
    countdown_s = _countdown_s(run, wait)
    # The page's lease (workers.recovery) follows the countdown: if the worker holding the delayed
    # message dies, the sweeper publishes the page again once it is due.
    run.celery.send_task("hemis.sync_page", args=[run.settled["kind"], run.run_id, page], countdown=countdown_s)


def coordinator_waits(run: "HemisRun", kind: str, then: str | None, wait: RateLimitWait) -> None:
    """Page 1 must wait: start the coordinator again later (its lease follows the countdown)."""
    if not _still_in_time(run, wait):
        return
    countdown_s = _countdown_s(run, wait)
    run.celery.send_task("hemis.start_run", args=[kind, run.run_id], kwargs={"then": then}, countdown=countdown_s)


def _still_in_time(run: "HemisRun", wait: RateLimitWait) -> bool:
    """Count a 429, then either end the run at its deadline or show that it waits."""
    if wait.throttled:
        run.ctx.progress.incr(run.run_id, THROTTLED_FIELD)
    if deadline_left_s(run) < 0:
        run.fail(deadline_message(run))
        return False
    run.ctx.progress.update(run.run_id, message=f"Waiting for HEMIS rate limit ({math.ceil(wait.wait_s)} s)",
                            waitUntil=time.time() + wait.wait_s)  # keeps the message up while it waits
    return True


def _countdown_s(run: "HemisRun", wait: RateLimitWait) -> float:
    # Back no later than the deadline, to end the run then if the server still refuses.
    return min(wait.wait_s, deadline_left_s(run) + REQUEUE_JITTER_S) + random.uniform(0, REQUEUE_JITTER_S)


def deadline_left_s(run: "HemisRun") -> float:
    started = float(run.settled.get("started_at") or time.time())
    return started + _deadline_s(run) - time.time()


def _deadline_s(run: "HemisRun") -> float:
    return float(run.settled.get("deadline_s") or run.ctx.settings.hemis_run_deadline_s)


def deadline_message(run: "HemisRun") -> str:
    done, total = len(run.state.done_pages()), run.state.page_count()
    return (f"HEMIS rate limit: the run could not finish within HEMIS_RUN_DEADLINE_S ({_deadline_s(run):.0f} s); "
            f"{done} of {total if total is not None else '?'} pages done")
