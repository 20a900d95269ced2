"""The leased units of work and how each is named, from the arguments of its task.

A unit is what crash recovery tracks (`shared.leases`): one HEMIS page, one Sipuni call, one AI step
of one call... Its name is unique within its lease kind and derived from the task's own arguments,
so the publisher (the API's start paths, a worker fanning out) and the worker that claims the
message name it alike. `UNIT_OF` is the one table: a task that is not in it is not a leased unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared import catalog

KIND_HEMIS = "hemis"
KIND_SIPUNI = "sipuni"
KIND_AI = "ai"


@dataclass(frozen=True)
class Unit:
    kind: str
    name: str


# --- HEMIS -----------------------------------------------------------------------------------------
# `booked`: the request slot a waiting task reserved (workers.ratelimit.budget); not part of its name.
def hemis_start_run(kind: str, run_id: str, then: str | None = None, booked: object = None) -> Unit:
    return Unit(KIND_HEMIS, f"{run_id}:start")


def hemis_sync_page(kind: str, run_id: str, page: int, booked: object = None) -> Unit:
    return Unit(KIND_HEMIS, f"{run_id}:{page}")


def hemis_publish_pages(kind: str, run_id: str, pages: Sequence[int]) -> Unit:
    return Unit(KIND_HEMIS, f"{run_id}:publish:{pages[0] if pages else ''}")


def hemis_sync_one(kind: str, run_id: str) -> Unit:
    return Unit(KIND_HEMIS, f"{run_id}:one")


# --- Sipuni ----------------------------------------------------------------------------------------
def sipuni_fetch_csv(run_id: str, organization_id: int, *_rest: Any, **_options: Any) -> Unit:
    return Unit(KIND_SIPUNI, f"{run_id}:step1")


def sipuni_process_csv(run_id: str, organization_id: int, *_rest: Any, **_options: Any) -> Unit:
    return Unit(KIND_SIPUNI, f"{run_id}:plan")


def sipuni_fan_out_calls(run_id: str, organization_id: int, offset_s: int | None, units: Sequence[str]) -> Unit:
    return Unit(KIND_SIPUNI, f"{run_id}:chunk:{units[0] if units else ''}")


def recordings_process_call(run_id: str, organization_id: int, unit: str, offset_s: int | None = None) -> Unit:
    return Unit(KIND_SIPUNI, f"{run_id}:{unit}")


# --- AI --------------------------------------------------------------------------------------------
def _ai_step(task_name: str) -> Callable[[int], Unit]:
    step = task_name.split(".", 1)[1]

    def unit(call_id: int, run_id: str | None = None) -> Unit:  # run_id: the sync run that stored the call
        return Unit(KIND_AI, f"{call_id}:{step}")

    return unit


UNIT_OF: dict[str, Callable[..., Unit]] = {
    catalog.HEMIS_START_RUN: hemis_start_run,
    catalog.HEMIS_SYNC_PAGE: hemis_sync_page,
    catalog.HEMIS_PUBLISH_PAGES: hemis_publish_pages,
    catalog.HEMIS_SYNC_ONE: hemis_sync_one,
    catalog.SIPUNI_FETCH_CSV: sipuni_fetch_csv,
    catalog.SIPUNI_PROCESS_CSV: sipuni_process_csv,
    catalog.SIPUNI_FAN_OUT_CALLS: sipuni_fan_out_calls,
    catalog.RECORDINGS_PROCESS_CALL: recordings_process_call,
    **{name: _ai_step(name) for name in (catalog.AI_PROCESS_CALL, catalog.AI_TRANSCRIBE, catalog.AI_ANALYZE)},
}


def is_leased(task_name: str) -> bool:
    return task_name in UNIT_OF


def unit_of(task_name: str, args: Sequence[Any] | None, kwargs: dict[str, Any] | None) -> Unit:
    """The unit a message of `task_name` with these arguments works on (KeyError: not a leased task)."""
    return UNIT_OF[task_name](*(args or ()), **(kwargs or {}))


def leased_unit(task_name: str, args: Sequence[Any] | None, kwargs: dict[str, Any] | None) -> Unit | None:
    """The unit a message of `task_name` works on, or None when that task is no leased unit."""
    name_unit = UNIT_OF.get(task_name)
    return None if name_unit is None else name_unit(*(args or ()), **(kwargs or {}))
