"""Names both the API and the Sipuni workers agree on: run kinds, lock scopes, storage keys.

Objects of an organization live under the storage key prefix `sipuni/<organization_id>/` (see
`shared.storage`; with local storage that is `DATA_DIR/sipuni/<organization_id>/`):
`sipuni-all-records.csv` (step 1) and `recordings/<YYYY-MM-DD>/<record id>.<ext>` (step 2).
`DATA_DIR/sipuni/<organization_id>/.partial/` on the worker's own disk holds downloads in
progress, never read by anyone but their writer.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

# Sipuni's own way of writing a day (its export's `from`/`to`, our step-1/step-2 windows).
SIPUNI_DATE_FORMAT = "%d.%m.%Y"

KIND_STEP1 = "sipuni_step1"
KIND_STEP2 = "sipuni_step2"
CSV_FILE_NAME = "sipuni-all-records.csv"
PARTIAL_DIR_NAME = ".partial"
RECORDINGS_DIR_NAME = "recordings"


def parse_sipuni_day(value: str | None) -> date | None:
    """`13.10.2025` as a date; None for no value. ValueError for anything else."""
    return datetime.strptime(value, SIPUNI_DATE_FORMAT).date() if value else None


def format_sipuni_day(day: date) -> str:
    return day.strftime(SIPUNI_DATE_FORMAT)


def step2_scope(organization_id: int) -> str:
    """Lock and progress scope of step 2: one run per organization at a time."""
    return f"sipuni:step2:{organization_id}"


def step1_scope(organization_id: int) -> str:
    return f"sipuni:step1:{organization_id}"


def organization_prefix(organization_id: int) -> str:
    return f"sipuni/{int(organization_id)}"


def csv_key(organization_id: int) -> str:
    """The storage key of the organization's step-1 export."""
    return f"{organization_prefix(organization_id)}/{CSV_FILE_NAME}"


def recording_key(organization_id: int, local_day: str, record_id: str, extension: str) -> str:
    """The storage key of a recording: one per call, so a re-download lands on the same object."""
    return f"{organization_prefix(organization_id)}/{RECORDINGS_DIR_NAME}/{local_day}/{record_id}.{extension}"


def organization_dir(data_dir: str | Path, organization_id: int) -> Path:
    return Path(data_dir) / "sipuni" / str(int(organization_id))


def csv_path(data_dir: str | Path, organization_id: int) -> Path:
    return organization_dir(data_dir, organization_id) / CSV_FILE_NAME


def partial_dir(data_dir: str | Path, organization_id: int) -> Path:
    return organization_dir(data_dir, organization_id) / PARTIAL_DIR_NAME


def recordings_dir(data_dir: str | Path, organization_id: int) -> Path:
    return organization_dir(data_dir, organization_id) / RECORDINGS_DIR_NAME


# Step-2 counters in the run's live progress hash (see ProgressStore), read by the API too.
PROCESSED = "processed"
SKIPPED = "skipped"
FAILED = "failed"
SKIP_EMPLOYEE_NOT_FOUND = "employee_not_found"
SKIP_ALREADY_EXISTS = "already_exists"
SKIP_NO_RECORDING = "no_recording"
SKIP_INVALID_ROW = "invalid_row"
SKIP_REASONS = (SKIP_EMPLOYEE_NOT_FOUND, SKIP_ALREADY_EXISTS, SKIP_NO_RECORDING, SKIP_INVALID_ROW)
SKIP_FIELD_PREFIX = "skipped:"


def step2_counts(live: dict[str, str] | None) -> dict[str, object]:
    """Counts of a step-2 run from its live progress hash: total (None until known), processed,
    skipped (and by reason), failed."""
    live = live or {}

    def number(name: str) -> int:
        value = live.get(name) or "0"
        return int(value) if value.lstrip("-").isdigit() else 0

    total_text = live.get("total")
    return {
        "total": int(total_text) if total_text and total_text.isdigit() else None,
        "processed": number(PROCESSED),
        "skipped": number(SKIPPED),
        "skippedByReason": {reason: number(f"{SKIP_FIELD_PREFIX}{reason}") for reason in SKIP_REASONS},
        "failed": number(FAILED),
    }


def step2_summary(live: dict[str, str] | None) -> dict[str, object]:
    """A step-2 run's result in the original's words, plus the skip counts by reason."""
    numbers = step2_counts(live)
    processed, skipped, failed = numbers["processed"], numbers["skipped"], numbers["failed"]
    return {"success": True, "message": f"Processed: {processed}, Skipped: {skipped}, Failed: {failed}",
            "recordsProcessed": processed, **numbers}
