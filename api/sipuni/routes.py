"""Sipuni two-step sync endpoints and the all-in-one webhook.

- `POST /sipuni/step1-fetch-csv?limit=500[&from=DD.MM.YYYY&to=DD.MM.YYYY]` (ADMIN/SUPERADMIN)
- `GET  /sipuni/csv` — the organization's saved export
- `POST /sipuni/step2-process-recordings[?from=DD.MM.YYYY][&to=DD.MM.YYYY]` — one run per organization
- `GET  /sipuni/progress` — live counts of the organization's latest step-2 run
- `POST /sipuni-integration` (header `X-API-Key`) — step 1 then step 2 as a Celery chain; body
  `{"organizationId": 1, "limit": 10}`, optionally with `"from"`/`"to"` (DD.MM.YYYY)

An ADMIN always acts on their own organization; a SUPERADMIN may pass `?organizationId=N`.
"""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated, Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, StrictInt, WithJsonSchema, field_validator, model_validator
from sqlalchemy import select

from api.auth.access import ADMIN, READER
from api.auth.roles import OrganizationQuery, OrganizationScope, current_organization_id, current_user_id
from api.http.access import Access
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.services import services
from api.http.storage_errors import storage_unavailable
from api.openapi.common import ACCEPTED_RUN, Open, Succeeded, ok
from api.openapi.security import WEBHOOK_KEY
from api.sipuni.webhook_keys import organization_for_key
from api.sipuni.webhook_throttle import webhook_key_throttle
from shared.db import session_scope
from shared.models import SyncRun
from shared.runs.record import epoch_ms
from shared.sipuni.account import AccountMissing, UnknownOrganization, resolve_account
from shared.sipuni.names import CSV_FILE_NAME, KIND_STEP2, csv_key, parse_sipuni_day, step2_counts, step2_scope
from shared.sipuni.start import TRIGGERED_BY_WEBHOOK, ExportWindow, RunInProgress, start_chain, start_step1, start_step2
from shared.storage import ObjectNotFound, StorageError
from shared.storage.base import iter_chunks

bp = Blueprint("sipuni", __name__)
bp.register_error_handler(StorageError, storage_unavailable)

DEFAULT_LIMIT = 500
MAX_LIMIT = 200_000  # Sipuni's own cap for /statistic/export/all
CSV_NOT_FOUND = "CSV file not found. Please run Step 1 first."
WEBHOOK_KEY_HEADER = "X-API-Key"
# How the window's days are documented (`_check_day` judges them, with its own messages).
SipuniDay = Annotated[str, WithJsonSchema({"type": "string", "pattern": r"^\d{2}\.\d{2}\.\d{4}$",
                                           "description": "DD.MM.YYYY, e.g. 13.10.2025"})]


def _check_day(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        parse_sipuni_day(value)
    except ValueError as exc:
        raise ValueError(f"must be a date as DD.MM.YYYY, e.g. 13.10.2025 (got {value!r})") from exc
    if len(value) != len("13.10.2025"):
        raise ValueError(f"must be a date as DD.MM.YYYY with two-digit day and month (got {value!r})")
    return value


def _day(value: str | None) -> date | None:
    return parse_sipuni_day(value)


class DateWindow(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    date_from: SipuniDay | None = Field(default=None, alias="from")
    date_to: SipuniDay | None = Field(default=None, alias="to")

    _days = field_validator("date_from", "date_to")(_check_day)

    @model_validator(mode="after")
    def _ordered(self) -> "DateWindow":
        first, last = _day(self.date_from), _day(self.date_to)
        if first and last and first > last:
            raise ValueError("from must not be after to")
        return self


class Step1Query(DateWindow):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    @model_validator(mode="after")
    def _both_dates(self) -> "Step1Query":
        if bool(self.date_from) != bool(self.date_to):
            raise ValueError("from and to go together (the date-window export needs both)")
        return self


class Step1RouteQuery(Step1Query, OrganizationScope):
    """Step 1's window and limit (shared with the CLI), and the organization."""


class Step2RouteQuery(DateWindow, OrganizationScope):
    """Step 2's window (shared with the CLI), and the organization."""


class WebhookBody(Step1Query):
    """`{"organizationId": 1, "limit": 10}`, and optionally `"from"`/`"to"` (DD.MM.YYYY, both or
    neither): step 1 then exports that window and step 2 processes it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", strict=True)
    organizationId: StrictInt = Field(ge=1)  # noqa: N815 (the public field name)
    limit: StrictInt = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


# --- helpers ---------------------------------------------------------------------------------------

def _accepted(task_id: str, run_id: str, **extra: Any) -> ResponseReturnValue:
    return jsonify({"success": True, "taskId": task_id, "runId": run_id, "statusUrl": f"/runs/{run_id}",
                    **extra}), 202


def _require_organization(organization_id: int) -> None:
    """The organization exists and may use a Sipuni account (its own; the deployment's only if it
    is the only organization): 404 / 409 otherwise, before anything is fetched."""
    with session_scope(services().session_factory) as session:
        try:
            resolve_account(session, organization_id, services().settings)
        except UnknownOrganization as exc:
            raise ApiError(404, f"Organization {organization_id} not found") from exc
        except AccountMissing as exc:
            raise ApiError(409, str(exc), {"account": f"sipuni account of organization {organization_id}"},
                           extra={"missingAccount": "sipuni", "organizationId": organization_id}) from exc


def _check_window(window: DateWindow) -> None:
    """A date window longer than SIPUNI_MAX_WINDOW_DAYS (both days included) is refused."""
    first, last = _day(window.date_from), _day(window.date_to)
    max_days = services().settings.sipuni_max_window_days
    if first and last and (last - first).days + 1 > max_days:
        raise ApiError(400, "Validation failed",
                       {"to": f"the window from..to spans more than {max_days} days (SIPUNI_MAX_WINDOW_DAYS)"})


def _export_window(window: DateWindow) -> ExportWindow:
    return ExportWindow(window.date_from, window.date_to)


def _run_in_progress(exc: RunInProgress) -> ApiError:
    return ApiError(409, f"A {exc.step} run is already in progress for this organization",
                    extra={"runId": exc.run_id, "statusUrl": f"/runs/{exc.run_id}"})


# --- step 1 ----------------------------------------------------------------------------------------

@bp.post("/sipuni/step1-fetch-csv")
@endpoint(auth=ADMIN, query=Step1RouteQuery, responses=ACCEPTED_RUN)
def step1_fetch_csv(query: Step1RouteQuery) -> ResponseReturnValue:
    """Step 1: export the organization's call log from Sipuni to its CSV."""
    _check_window(query)
    organization_id = current_organization_id()
    _require_organization(organization_id)
    try:
        run_id, task_id = start_step1(services(), organization_id, f"user:{current_user_id()}", query.limit,
                                      _export_window(query))
    except RunInProgress as exc:
        raise _run_in_progress(exc) from exc
    return _accepted(task_id, run_id)


@bp.get("/sipuni/csv")
@endpoint(auth=READER, query=OrganizationQuery,
          responses={200: ResponseDoc("The saved export", media_type="text/csv", schema={"type": "string"})})
def download_csv(query: OrganizationQuery) -> ResponseReturnValue:
    """The export, streamed from storage (whichever host wrote it)."""
    storage, key = services().storage, csv_key(current_organization_id())
    size = storage.size(key)
    if size is None:
        return jsonify({"success": False, "message": CSV_NOT_FOUND}), 404
    try:
        stream = storage.open(key)
    except ObjectNotFound:  # deleted between the two calls
        return jsonify({"success": False, "message": CSV_NOT_FOUND}), 404
    return Response(iter_chunks(stream), content_type="text/csv; charset=utf-8", headers={
        "Content-Length": str(size), "Content-Disposition": f"attachment; filename={CSV_FILE_NAME}",
        "Cache-Control": "no-cache"})


# --- step 2 ----------------------------------------------------------------------------------------

@bp.post("/sipuni/step2-process-recordings")
@endpoint(auth=ADMIN, query=Step2RouteQuery, responses=ACCEPTED_RUN)
def step2_process_recordings(query: Step2RouteQuery) -> ResponseReturnValue:
    """Step 2: download the recordings of the CSV's calls (in the window) and store the calls."""
    _check_window(query)
    organization_id = current_organization_id()
    _require_organization(organization_id)
    if services().storage.size(csv_key(organization_id)) is None:
        return jsonify({"success": False, "message": CSV_NOT_FOUND}), 404
    try:
        run_id, task_id = start_step2(services(), organization_id, f"user:{current_user_id()}",
                                      _export_window(query))
    except RunInProgress as exc:
        raise _run_in_progress(exc) from exc
    return _accepted(task_id, run_id)


class Step2Progress(Succeeded):
    runId: str  # noqa: N815
    status: str
    total: int | None
    processed: int | None
    skipped: int | None
    skippedByReason: dict[str, Any] | None  # noqa: N815
    failed: int | None
    startTime: int  # noqa: N815 - epoch ms
    endTime: int | None  # noqa: N815
    message: str | None


@bp.get("/sipuni/progress")
@endpoint(auth=READER, query=OrganizationQuery, responses={200: ok(Step2Progress)})
def step2_progress(query: OrganizationQuery) -> ResponseReturnValue:
    """Counts of the organization's latest step-2 run, live while it runs."""
    organization_id = current_organization_id()
    run_id = services().progress.latest(step2_scope(organization_id))
    with session_scope(services().session_factory) as session:
        run = session.get(SyncRun, run_id) if run_id else session.scalar(
            select(SyncRun).where(SyncRun.organization_id == organization_id, SyncRun.kind == KIND_STEP2)
            .order_by(SyncRun.started_at.desc()).limit(1))
        if run is None:
            raise ApiError(404, "No step-2 run for this organization yet")
        record = {"runId": run.id, "status": run.status, "stats": dict(run.stats or {}),
                  "startTime": epoch_ms(run.started_at), "endTime": epoch_ms(run.finished_at)}
    live = services().progress.get(record["runId"])
    counts = step2_counts(live) if live is not None else _counts_from_stats(record["stats"])
    status = (live or {}).get("status") or record["status"]
    return jsonify({"success": True, "runId": record["runId"], "status": status, **counts,
                    "startTime": record["startTime"], "endTime": record["endTime"],
                    "message": (live or {}).get("message") or record["stats"].get("message")})


def _counts_from_stats(stats: dict[str, Any]) -> dict[str, Any]:
    keys = ("total", "processed", "skipped", "skippedByReason", "failed")
    return {key: stats.get(key) for key in keys}


# --- webhook ---------------------------------------------------------------------------------------

class ChainAccepted(Succeeded):
    taskId: str  # noqa: N815 - step 1's
    runId: str  # noqa: N815
    statusUrl: str  # noqa: N815
    step2: Open


def _webhook_key_organization(given: str) -> int | None:
    """Which organization the key opens the webhook for: None for WEBHOOK_API_KEY (the seed's single
    key, every organization), else the id of the organization whose own key it is; 401 otherwise,
    and 429 once the caller's address has sent too many wrong keys (`api.sipuni.webhook_throttle`)."""
    throttle = webhook_key_throttle()
    throttle.check()
    global_key = services().settings.webhook_api_key
    if global_key and hmac.compare_digest(given.encode("utf-8"), global_key.encode("utf-8")):
        return None
    with session_scope(services().session_factory) as session:
        key_organization = organization_for_key(session, given) if given else None
    if key_organization is not None:
        return key_organization
    throttle.failed()
    hint = "" if global_key else " (WEBHOOK_API_KEY is not set: give the organization's own webhook key)"
    raise ApiError(401, f"Missing or wrong {WEBHOOK_KEY_HEADER} header{hint}")


WEBHOOK_ACCESS = Access(scheme=WEBHOOK_KEY, header=WEBHOOK_KEY_HEADER, verify=_webhook_key_organization,
                        passes_as="key_organization")


@bp.post("/sipuni-integration")
@endpoint(auth=WEBHOOK_ACCESS, body=WebhookBody, responses={202: ok(ChainAccepted, "Step 1 queued, step 2 after it")})
def webhook(key_organization: int | None, body: WebhookBody) -> ResponseReturnValue:
    """Step 1 then step 2 for an organization, as one Celery chain (for an outside scheduler)."""
    _check_window(body)
    organization_id = body.organizationId
    if key_organization is not None and key_organization != organization_id:
        raise ApiError(403, f"This {WEBHOOK_KEY_HEADER} opens the webhook for another organization only")
    _require_organization(organization_id)
    try:
        chain = start_chain(services(), organization_id, TRIGGERED_BY_WEBHOOK, body.limit, _export_window(body))
    except RunInProgress as exc:
        raise _run_in_progress(exc) from exc
    return _accepted(chain.step1_task_id, chain.step1_run_id, step2={
        "taskId": chain.step2_task_id, "runId": chain.step2_run_id, "statusUrl": f"/runs/{chain.step2_run_id}"})
