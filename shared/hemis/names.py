"""Names the API, beat and the HEMIS workers agree on: what is synced, how runs are called, and the
lock each organization's run of each kind holds (every organization has its own HEMIS)."""

from __future__ import annotations

import redis

from shared.runs.locks import RunLock

STUDENTS = "students"
EMPLOYEES = "employees"
DEPARTMENTS = "departments"
SPECIALTIES = "specialties"
GROUPS = "groups"
SEMESTERS = "semesters"
PEOPLE_KINDS = (STUDENTS, EMPLOYEES)
# The lookup lists students and employees point to; synced before them (parents first).
LOOKUP_KINDS = (DEPARTMENTS, SPECIALTIES, GROUPS, SEMESTERS)
HEMIS_KINDS = LOOKUP_KINDS + PEOPLE_KINDS
# The nightly sync: each kind in turn, the next started when one ends.
NIGHTLY_ORDER = LOOKUP_KINDS + PEOPLE_KINDS
# `POST /api/hemis/sync/student|employee`: one record, looked up with `search=`.
SINGLE_KINDS = {"student": STUDENTS, "employee": EMPLOYEES}
# A run extends its lock as its pages finish; one that stops doing so frees its kind within this long.
LOCK_TTL_S = 15 * 60


def progress_scope(organization_id: int, kind: str) -> str:
    """Lock and progress scope of an organization's full run of `kind`."""
    return f"hemis:{organization_id}:{kind}"


def run_kind(kind: str) -> str:
    """The `sync_runs.kind` of a full run of `kind` (students, employees, departments...)."""
    return f"hemis_{kind}"


def single_run_kind(kind: str) -> str:
    """The `sync_runs.kind` of a single-record sync of `kind` (students, employees)."""
    return f"hemis_{kind[:-1]}"


def kind_of_run(run_kind_name: str) -> str | None:
    """The HEMIS kind of a full run's `sync_runs.kind`, or None."""
    kind = run_kind_name.removeprefix("hemis_")
    return kind if kind in HEMIS_KINDS and run_kind_name.startswith("hemis_") else None


# The `sync_runs.kind` of every HEMIS run: paged full runs, and single-record syncs.
FULL_RUN_KINDS = tuple(run_kind(kind) for kind in HEMIS_KINDS)
SINGLE_RUN_KINDS = tuple(single_run_kind(kind) for kind in PEOPLE_KINDS)


def run_lock(client: redis.Redis, organization_id: int, kind: str) -> RunLock:
    """The lock a full run of `kind` holds: one run per kind and organization."""
    return RunLock(client, progress_scope(organization_id, kind), ttl_s=LOCK_TTL_S)


def chain_after(then: str | None) -> tuple[str | None, str | None]:
    """`then` is the kinds still to sync after a run, comma-separated: the next one, and the rest."""
    remaining = [part for part in (then or "").split(",") if part in HEMIS_KINDS]
    if not remaining:
        return None, None
    return remaining[0], ",".join(remaining[1:]) or None
