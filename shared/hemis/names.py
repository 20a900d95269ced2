"""Names the API, beat and the HEMIS workers agree on: what is synced, how runs are called, and the
lock each kind's run holds."""

from __future__ import annotations

import redis

from shared.runs.locks import RunLock

STUDENTS = "students"
EMPLOYEES = "employees"
HEMIS_KINDS = (STUDENTS, EMPLOYEES)
# `POST /api/hemis/sync/student|employee`: one record, looked up with `search=`.
SINGLE_KINDS = {"student": STUDENTS, "employee": EMPLOYEES}
# A run extends its lock as its pages finish; one that stops doing so frees its kind within this long.
LOCK_TTL_S = 15 * 60


def progress_scope(kind: str) -> str:
    """Lock and progress scope of a full run of `kind` (one HEMIS per deployment)."""
    return f"hemis:{kind}"


def run_kind(kind: str) -> str:
    """The `sync_runs.kind` of a full run of `kind` (students, employees)."""
    return f"hemis_{kind}"


def single_run_kind(kind: str) -> str:
    """The `sync_runs.kind` of a single-record sync of `kind` (students, employees)."""
    return f"hemis_{kind[:-1]}"


# The `sync_runs.kind` of every HEMIS run: paged full runs, and single-record syncs.
FULL_RUN_KINDS = tuple(run_kind(kind) for kind in HEMIS_KINDS)
SINGLE_RUN_KINDS = tuple(single_run_kind(kind) for kind in HEMIS_KINDS)


def run_lock(client: redis.Redis, kind: str) -> RunLock:
    """The lock a full run of `kind` holds: one run per kind (one HEMIS per deployment)."""
    return RunLock(client, progress_scope(kind), ttl_s=LOCK_TTL_S)
