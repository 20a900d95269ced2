"""Step 1: the organization's Sipuni export, downloaded whole, kept in the call log and in storage.

The export is streamed to a partial file on this worker's disk, read once into the call log (which
also proves it is a Sipuni export), then handed to the storage as a whole, replacing the previous
export atomically: a reader never sees half of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.services import Services
from shared.sipuni.names import csv_key
from workers.sipuni import call_log, files
from workers.sipuni.accounts import client_for
from workers.sipuni.csv_parser import iter_file
from workers.upstream.http import RetryPolicy

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
EXPORT_POLICY = RetryPolicy(attempts=3, base_delay_s=1.0, read_timeout_s=120.0)


@dataclass(frozen=True)
class SavedExport:
    rows: int
    where: str  # a path or an s3:// URL, for people


def save_export(svc: Services, run_id: str, organization_id: int, limit: int, first: date | None,
                last: date | None) -> SavedExport:
    """The calls of the window (both days included), or the last `limit` calls without one."""
    client = client_for(svc, organization_id, EXPORT_POLICY)
    key = csv_key(organization_id)
    with files.local_partial(svc.settings.data_dir, organization_id, run_id, "export") as temporary:
        if first or last:
            client.export_to(temporary, first or last, last or first)  # type: ignore[arg-type]
        else:
            client.export_all_to(temporary, limit)
        rows = call_log.record_export(svc.session, organization_id, lambda: iter_file(temporary))
        svc.storage.put_file(temporary, key, CSV_CONTENT_TYPE)
    return SavedExport(rows, svc.storage.describe(key))
