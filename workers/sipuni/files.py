"""Partial downloads on a worker's own disk, before the storage takes them whole.

A download is written under `DATA_DIR/sipuni/<org>/.partial/` with a name that starts with its run
id, and handed to the storage (`Storage.put_file`) only when complete, so no reader ever sees half
a file. The partial files of a killed process are removed when their run is finalized (on the
finalizing worker's disk), and any partial file older than the task time limit is swept when a
step-2 coordinator starts on that host.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.sipuni.names import partial_dir

PARTIAL_SUFFIX = ".part"


def new_partial_path(data_dir: str, organization_id: int, run_id: str, record_id: str) -> Path:
    directory = partial_dir(data_dir, organization_id)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{run_id}.{record_id}.{secrets.token_hex(6)}{PARTIAL_SUFFIX}"


@contextmanager
def local_partial(data_dir: str, organization_id: int, run_id: str, name: str) -> Iterator[Path]:
    """A partial file on this worker's own disk, removed at the end whatever happens (the
    storage has taken its bytes, or the task failed)."""
    path = new_partial_path(data_dir, organization_id, run_id, name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def remove_run_partials(data_dir: str, organization_id: int, run_id: str) -> int:
    """Delete partial downloads of a finished run (left by killed processes); return how many."""
    directory = partial_dir(data_dir, organization_id)
    removed = 0
    for path in directory.glob(f"{run_id}.*{PARTIAL_SUFFIX}") if directory.is_dir() else ():
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def sweep_stale_partials(data_dir: str, organization_id: int, older_than_s: float) -> int:
    """Delete partial downloads older than any task may live (their writer is gone)."""
    directory = partial_dir(data_dir, organization_id)
    if not directory.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for path in directory.glob(f"*{PARTIAL_SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
