"""`POST /runs/<runId>/cancel`: stop a Sipuni step 1 or step 2, or a HEMIS full sync (also
`POST /api/hemis/cancel/<kind>`, `api.hemis.cancel`, and `flask --app api runs cancel RUN_ID`).

The run ends `cancelled` at once, with the counts it has reached, and its lock is freed, so a new
trigger works at once (`shared.runs.cancel`). Its workers, on any host, see the run's flag before
each unit's upstream work: calls not yet started are not downloaded, pages not yet fetched are not
fetched, AI steps not yet started are not sent to STT or the model; what is in flight finishes and
is kept. A cancelled run never turns `completed`, deactivates no HEMIS record, and does not start
the kind a nightly HEMIS run was to sync next.

Who may cancel: an ADMIN a run of their own organization (HEMIS runs included: each organization
syncs its own HEMIS), a SUPERADMIN any run. A run the caller may not see is
as unknown as a missing one (404); a run that has ended answers 409 with its status.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import get_current_user
from pydantic import BaseModel, Field

from api.auth.access import ADMIN
from api.auth.roles import current_role, current_user_id
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import Services, services
from api.openapi.common import Succeeded, ok
from shared.hemis.names import HEMIS_KINDS, run_kind, run_lock
from shared.models import Role, SyncRun
from shared.runs.cancel import ReadCounts, RunCounts, RunNotRunning, mark_cancelled
from shared.runs.locks import RunLock
from shared.runs.record import run_as_dict
from shared.sipuni.names import (
    KIND_STEP1,
    KIND_STEP2,
    step1_scope,
    step2_scope,
    step2_summary,
)

bp = Blueprint("run_cancel", __name__)

MAX_RUN_ID_LENGTH = 36  # sync_runs.id is a UUID string
HEMIS_KIND_OF_RUN = {run_kind(kind): kind for kind in HEMIS_KINDS}
CANCELLABLE_KINDS = (KIND_STEP1, KIND_STEP2, *HEMIS_KIND_OF_RUN)
ANSWERED_FIELDS = ("runId", "kind", "status", "organizationId", "startTime", "endTime", "duration", "total",
                   "processed", "skipped", "failed", "stats")


class NotCancellable(Exception):
    """A run of a kind that cannot be cancelled (a single-record HEMIS sync: one request)."""


@dataclass(frozen=True)
class Cancellation:
    locks: list[RunLock]
    counts: ReadCounts


def cancel_run(svc: Services, run: SyncRun, by: str) -> None:
    """End `run` cancelled (see the module's docstring); raises NotCancellable, or RunNotRunning
    when it is not running (any more)."""
    if run.kind not in CANCELLABLE_KINDS:
        raise NotCancellable(f"a {run.kind} run cannot be cancelled")
    cancellation = _cancellation(svc, run)
    mark_cancelled(svc, run.id, by=by, counts=cancellation.counts, locks=cancellation.locks)


def _cancellation(svc: Services, run: SyncRun) -> Cancellation:
    """The locks the run holds, and how to read its counts from its live progress."""
    def live() -> dict[str, str]:
        return svc.progress.get(run.id) or {}

    organization_id = int(run.organization_id or 0)
    if run.kind in HEMIS_KIND_OF_RUN:
        return Cancellation([run_lock(svc.redis, organization_id, HEMIS_KIND_OF_RUN[run.kind])],
                            lambda: _hemis_counts(live()))
    if run.kind == KIND_STEP1:
        return Cancellation([RunLock(svc.redis, step1_scope(organization_id))], RunCounts)
    return Cancellation([RunLock(svc.redis, step2_scope(organization_id))], lambda: _step2_counts(live()))


def _step2_counts(live: dict[str, str]) -> RunCounts:
    summary = step2_summary(live)
    return RunCounts(total=_number(summary["total"]), processed=_number(summary["processed"]),
                     skipped=_number(summary["skipped"]), failed=_number(summary["failed"]), stats=summary)


def _hemis_counts(live: dict[str, str]) -> RunCounts:
    """A HEMIS run's counts in the shape its end writes them (`workers.hemis.run`)."""
    total, pages_total, pages_done = (_number(live.get(name)) for name in ("totalRecords", "pagesTotal", "pagesDone"))
    stats = {"pagesTotal": pages_total, "pagesDone": pages_done, "totalCount": total, "deactivated": 0}
    return RunCounts(total=total, processed=_number(live.get("processedRecords")),
                     failed=_number(live.get("failedPages")), stats=stats)


def _number(value: object) -> int:
    """A count from a summary (an int, or None while unknown) or from a live hash (text)."""
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def cancel_and_answer(run: SyncRun) -> ResponseReturnValue:
    """Cancel a run the caller may cancel, and answer with its record (409 when it cannot be)."""
    svc = services()
    try:
        cancel_run(svc, run, f"user:{current_user_id()}")
    except NotCancellable as exc:
        raise ApiError(409, f"Run {run.id}: {exc}", extra={"runId": run.id, "status": run.status}) from exc
    except RunNotRunning as exc:
        raise ApiError(409, f"Run {run.id} has already ended: {exc.status}",
                       extra={"runId": run.id, "status": exc.status}) from exc
    with svc.session() as session:
        record = run_as_dict(session.get(SyncRun, run.id))  # type: ignore[arg-type]
    # Not who started it nor its errors: a HEMIS run may have been started by another organization.
    shown = {name: record[name] for name in ANSWERED_FIELDS}
    return jsonify({"success": True, "message": f"Run {run.id} cancelled", **shown})


def may_cancel(run: SyncRun) -> bool:
    """A SUPERADMIN any run; an ADMIN their organization's runs."""
    if current_role() == Role.SUPERADMIN.value:
        return True
    return run.organization_id == get_current_user().organization_id


class RunPath(BaseModel):
    run_id: str = Field(description="The runId of a 202 answer")


class CancelledRun(Succeeded):
    """The run's record as `GET /runs/<runId>` has it (but who started it and its errors), now `cancelled`."""

    runId: str
    kind: str
    status: str
    message: str


@bp.post("/runs/<run_id>/cancel")
@endpoint(auth=ADMIN, path=RunPath, responses={200: ok(CancelledRun)})
def cancel(run_id: str) -> ResponseReturnValue:
    """Cancel a running Sipuni step 1 or step 2, or HEMIS sync; 409 when it has ended."""
    if len(run_id) > MAX_RUN_ID_LENGTH:
        raise ApiError(404, "Run not found")
    with services().session() as session:
        run = session.get(SyncRun, run_id)
        if run is None or not may_cancel(run):
            raise ApiError(404, f"Run {run_id} not found")
    return cancel_and_answer(run)
