"""A single-record HEMIS sync: one student (or every position row of one employee), found with
`search=` and stored like a page, without touching any full run's bookkeeping.

The id number to look up is read from the run record (`stats.idNumber`), never carried in the task
message (Flower shows messages). The run record gets the outcome and the errors; the task's result
keeps counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.hemis.names import EMPLOYEES
from shared.metrics import count_records
from shared.models import RunStatus, SyncRun
from shared.runs.record import finish_run
from shared.services import Services
from workers.hemis.client import HemisClient
from workers.hemis.mapping import id_text
from workers.hemis.pages import store_items
from workers.upstream.http import UpstreamError


@dataclass(frozen=True)
class Lookup:
    id_number: str
    hemis_id: str | None
    organization_id: int


@dataclass(frozen=True)
class SingleOutcome:
    status: str
    found: int
    errors: list[str]


def lookup_of(svc: Services, run_id: str) -> Lookup:
    with svc.session() as session:
        run = session.get(SyncRun, run_id)
        stats = dict(run.stats or {}) if run is not None else {}
        organization_id = int(run.organization_id or 0) if run is not None else 0
    return Lookup(str(stats.get("idNumber") or ""), stats.get("hemisId"), organization_id)


def sync_record(svc: Services, kind: str, lookup: Lookup) -> SingleOutcome:
    """Search, keep the rows that match the id number (and HEMIS id, if given), store them.
    Raises `RateLimitWait` when HEMIS's budget says to wait."""
    errors: list[str] = []
    found: list[dict[str, Any]] = []
    try:
        client = HemisClient.for_organization(svc, lookup.organization_id)
        found = [item for item in client.search(kind, lookup.id_number) if matches(kind, item, lookup)]
        if not found:
            errors.append(f"HEMIS has no {kind[:-1]} with id number {lookup.id_number}"
                          + (f" and id {lookup.hemis_id}" if lookup.hemis_id else ""))
        errors.extend(store_items(svc.engine, kind, found, run_id=None, organization_id=lookup.organization_id).problems)
    except UpstreamError as exc:
        errors.append(str(exc))
    status = RunStatus.COMPLETED.value if found and not errors else RunStatus.FAILED.value
    return SingleOutcome(status, len(found), errors)


def record_outcome(svc: Services, run_id: str, kind: str, lookup: Lookup, outcome: SingleOutcome) -> None:
    synced = outcome.found if outcome.status != RunStatus.FAILED.value else 0
    with svc.session() as session:
        finish_run(session, run_id, outcome.status, total=outcome.found, processed=synced, errors=outcome.errors,
                   stats={"idNumber": lookup.id_number, "hemisId": lookup.hemis_id})
    count_records(svc.redis, kind, synced)


def matches(kind: str, item: dict[str, Any], lookup: Lookup) -> bool:
    number_field = "employee_id_number" if kind == EMPLOYEES else "student_id_number"
    if lookup.hemis_id is not None and id_text(item.get("id")) != lookup.hemis_id:
        return False
    return str(item.get(number_field) or "").strip() == lookup.id_number
