"""Files of the Sipuni sync: atomic replacement, recording locations, and partial downloads.

A download is written under `.partial/` with a name that starts with its run id, and moved to
its final place with `os.replace` only when complete, so no reader ever sees half a file. The
partial files of a killed process are removed when their run is finalized, and any partial file
older than the task time limit is swept when a step-2 run starts.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.sipuni import partial_dir, recordings_dir

PARTIAL_SUFFIX = ".part"


@contextmanager
def atomic_target(final_path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final_path`; on success it replaces `final_path` in one
    step, on any error it is removed."""
    final_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = final_path.with_name(f".{final_path.name}.{secrets.token_hex(6)}.tmp")
    try:
        yield temporary
        os.replace(temporary, final_path)
    finally:
        temporary.unlink(missing_ok=True)


def new_partial_path(data_dir: str, organization_id: int, run_id: str, record_id: str) -> Path:
    directory = partial_dir(data_dir, organization_id)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{run_id}.{record_id}.{secrets.token_hex(6)}{PARTIAL_SUFFIX}"


def recording_path(data_dir: str, organization_id: int, local_day: str, record_id: str, extension: str) -> Path:
    """The final place of a recording: one name per call, so a re-download lands on the same file."""
    return recordings_dir(data_dir, organization_id) / local_day / f"{record_id}.{extension}"


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
