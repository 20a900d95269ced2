"""`--watch`: a live rich progress bar of one run until it ends; the exit code says how it ended."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from api.http.services import Services
from api.runs.view import run_view
from shared.db import session_scope
from shared.models import FINISHED_STATUSES, RunStatus, SyncRun

WATCH_POLL_S = 1.0
EXIT_COMPLETED = 0
EXIT_NOT_COMPLETED = 1


def current_view(svc: Services, run_id: str) -> dict[str, Any] | None:
    """The run as `GET /runs` shows it, or None when there is no such run."""
    with session_scope(svc.session_factory) as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            return None
        return run_view(run, svc.progress.get(run_id), svc.progress.errors(run_id))


def watch_run(svc: Services, run_id: str, console: Console | None = None, poll_s: float = WATCH_POLL_S) -> int:
    """Show the run's progress until its record is finished; 0 when it ended `completed`, else 1."""
    console = console or Console()
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[facts]}"))
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(run_id[:8], total=None, facts="")
        view = current_view(svc, run_id)
        while view is not None and view["status"] not in FINISHED_STATUSES:
            _show(progress, task, view)
            time.sleep(poll_s)
            view = current_view(svc, run_id)
        if view is not None:
            _show(progress, task, view)
    if view is None:
        console.print(f"run {run_id} not found", soft_wrap=True)
        return EXIT_NOT_COMPLETED
    console.print(summary_line(view), soft_wrap=True, highlight=False, markup=False)
    return EXIT_COMPLETED if view["status"] == RunStatus.COMPLETED.value else EXIT_NOT_COMPLETED


def _show(progress: Progress, task: Any, view: dict[str, Any]) -> None:
    numbers = view["progress"]
    facts = [view["status"]]
    if numbers["ratePerS"]:
        facts.append(f"{numbers['ratePerS']} {numbers['unit']}/s")
    if numbers["etaS"] is not None:
        facts.append(f"ETA {numbers['etaS']} s")
    facts.append(f"skipped {numbers['skipped']} failed {numbers['failed']}")
    if numbers["message"]:
        facts.append(numbers["message"])
    progress.update(task, description=f"{view['kind']} {view['runId'][:8]}", total=numbers["total"],
                    completed=numbers["done"], facts=" · ".join(facts))


def summary_line(view: dict[str, Any]) -> str:
    numbers = view["progress"]
    duration = f"{view['duration'] / 1000:.1f} s" if view["duration"] is not None else "-"
    return (f"run {view['runId']} ({view['kind']}) {view['status']}: {numbers['records']} of "
            f"{numbers['recordsTotal'] if numbers['recordsTotal'] is not None else '?'} records, "
            f"skipped {numbers['skipped']}, failed {numbers['failed']}, {duration}")
