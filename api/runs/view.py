"""One run as an operator sees it: how far (done of total), how fast, when it ends, what failed.

Built from the run's `sync_runs` record plus, while it runs, its live progress hash in Redis.
Shared by the runs page's JSON (`GET /runs`) and the CLI (`flask --app api runs ...`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from shared.hemis.names import FULL_RUN_KINDS
from shared.models import FINISHED_STATUSES, RunStatus, SyncRun
from shared.runs.record import run_as_dict
from shared.sipuni.names import KIND_STEP1, KIND_STEP2, step2_counts

LATEST_ERRORS_SHOWN = 5
DEFAULT_FINISHED_SHOWN = 20
MAX_RUNS_LISTED = 100
RATE_LIMIT_WORDS = "rate limit"
ACTIVE_STATUSES = (RunStatus.RUNNING.value, RunStatus.PENDING.value)


def visible_runs(statement: Select[tuple[SyncRun]], *, organization_id: int | None,
                 include_global: bool) -> Select[tuple[SyncRun]]:
    """Limit to one organization's runs (None: every run); `include_global` adds the runs of no
    organization (HEMIS), which only admins see."""
    if organization_id is None:
        return statement
    if include_global:
        return statement.where(or_(SyncRun.organization_id == organization_id, SyncRun.organization_id.is_(None)))
    return statement.where(SyncRun.organization_id == organization_id)


def list_runs(session: Session, *, organization_id: int | None, include_global: bool, kind: str | None = None,
              finished_limit: int = DEFAULT_FINISHED_SHOWN,
              hidden_kinds: Sequence[str] = ()) -> tuple[list[SyncRun], list[SyncRun]]:
    """(running runs, the latest `finished_limit` finished runs), newest first; runs of
    `hidden_kinds` are left out (HEMIS runs, for a caller below ADMIN)."""
    base = visible_runs(select(SyncRun), organization_id=organization_id, include_global=include_global)
    if kind:
        base = base.where(SyncRun.kind == kind)
    if hidden_kinds:
        base = base.where(SyncRun.kind.not_in(hidden_kinds))
    running = session.scalars(base.where(SyncRun.status.in_(ACTIVE_STATUSES))
                              .order_by(SyncRun.started_at.desc()).limit(MAX_RUNS_LISTED)).all()
    finished = session.scalars(base.where(SyncRun.status.in_(FINISHED_STATUSES))
                               .order_by(SyncRun.finished_at.desc()).limit(finished_limit)).all()
    return list(running), list(finished)


def run_view(run: SyncRun, live: dict[str, str] | None, live_errors: Sequence[str] = (),
             now_s: float | None = None) -> dict[str, Any]:
    """The record plus `progress`: done, total, unit, percent, rate per second, ETA, skipped, failed,
    message, the latest errors and whether it waits on an upstream rate limit."""
    record = run_as_dict(run)
    active = record["status"] in ACTIVE_STATUSES
    live = live if active else None
    if live and live.get("status") and live["status"] not in ACTIVE_STATUSES:
        record["status"] = live["status"]  # finished in Redis a moment before the record is read
    numbers = _numbers(run.kind, record, live)
    elapsed_s = _elapsed_s(record, now_s)
    errors = list(live_errors) or list(record["errors"] or [])
    message = (live or {}).get("message") or (record["stats"] or {}).get("message") or ""
    record["progress"] = {**numbers, **_speed(numbers, elapsed_s, active, record["status"]), "message": message,
                          "latestErrors": errors[-LATEST_ERRORS_SHOWN:], "errorCount": len(errors),
                          "waitingOnRateLimit": active and RATE_LIMIT_WORDS in message.lower()}
    return record


def _numbers(kind: str, record: dict[str, Any], live: dict[str, str] | None) -> dict[str, Any]:
    if kind in FULL_RUN_KINDS and live is not None:
        return {"unit": "pages", "done": _int(live.get("pagesDone")), "total": _int(live.get("pagesTotal")) or None,
                "records": _int(live.get("processedRecords")), "recordsTotal": _int(live.get("totalRecords")),
                "skipped": 0, "failed": _int(live.get("failedPages"))}
    if kind == KIND_STEP2 and live is not None:
        counts = step2_counts(live)
        done = int(counts["processed"]) + int(counts["skipped"]) + int(counts["failed"])  # type: ignore[arg-type]
        return {"unit": "calls", "done": done, "total": counts["total"], "records": counts["processed"],
                "recordsTotal": counts["total"], "skipped": counts["skipped"], "failed": counts["failed"]}
    if live is not None:  # step 1, a single HEMIS record: no count before the end
        return {"unit": "steps", "done": 0, "total": None, "records": 0, "recordsTotal": None, "skipped": 0,
                "failed": 0}
    return _finished_numbers(kind, record)


def _finished_numbers(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    stats = record["stats"] or {}
    if kind.startswith("hemis_") and "pagesTotal" in stats:
        return {"unit": "pages", "done": _int(stats.get("pagesDone")), "total": _int(stats.get("pagesTotal")),
                "records": record["processed"], "recordsTotal": record["total"], "skipped": record["skipped"],
                "failed": record["failed"]}
    unit = "calls" if kind == KIND_STEP2 else "records"
    done = record["processed"] + (record["skipped"] + record["failed"] if kind == KIND_STEP2 else 0)
    total = record["total"] if record["total"] or kind != KIND_STEP1 else None
    if record["status"] in ACTIVE_STATUSES:
        done, total = record["processed"], (record["total"] or None)
    return {"unit": unit, "done": done, "total": total, "records": record["processed"],
            "recordsTotal": record["total"], "skipped": record["skipped"], "failed": record["failed"]}


def _speed(numbers: dict[str, Any], elapsed_s: float, active: bool, status: str) -> dict[str, Any]:
    done, total = numbers["done"], numbers["total"]
    if total:
        percent: float | None = min(100.0, 100.0 * done / total)
    elif active:
        percent = None  # no total known yet: the page shows a moving bar
    else:  # a finished run with nothing to count: full if it completed, empty if it failed
        percent = 100.0 if status != RunStatus.FAILED.value else 0.0
    rate = done / elapsed_s if elapsed_s > 0 and done else None
    eta_s = (total - done) / rate if active and rate and total and total >= done else None
    return {"percent": None if percent is None else round(percent, 1),
            "ratePerS": None if rate is None else round(rate, 2),
            "etaS": None if eta_s is None else round(eta_s)}


def _elapsed_s(record: dict[str, Any], now_s: float | None) -> float:
    if record["duration"] is not None:
        return record["duration"] / 1000
    if record["startTime"] is None:
        return 0.0
    return max(0.0, (now_s if now_s is not None else time.time()) - record["startTime"] / 1000)


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
