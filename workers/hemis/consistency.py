"""The end-of-run drift checks of a HEMIS run: repeated pages, a changing totalCount, distinct ids
against totalCount. They decide whether a run is `completed` (and may deactivate unseen records),
`completed_with_errors` or `failed`.

The ids counted are what HEMIS's totalCount counts, list items: a student's enrolment (a person
listed twice, bachelor and master, is two), an employee's position row (`mapping.record_key`)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.models import RunStatus
from workers.hemis.ledger import RunLedger


@dataclass
class ConsistencyReport:
    page_count: int
    pages_done: int
    failed_pages: list[int]
    total_count: int
    distinct: int
    processed: int
    errors: list[str]

    def status(self, *, fatal: bool) -> str:
        if fatal or (self.page_count and len(self.failed_pages) >= self.page_count):
            return RunStatus.FAILED.value
        if self.failed_pages or self.errors:
            return RunStatus.COMPLETED_WITH_ERRORS.value
        return RunStatus.COMPLETED.value


def consistency_report(ledger: RunLedger, meta: dict[str, str]) -> ConsistencyReport:
    """Drift checks: repeated pages, a changing totalCount, distinct ids vs totalCount."""
    page_count = int(meta.get("page_count") or 0)
    total_count = int(meta.get("total_count") or 0)
    failed = ledger.failed_pages()
    distinct = ledger.distinct_ids()
    live = ledger.progress.get(ledger.run_id) or {}
    errors: list[str] = []
    fingerprints = ledger.fingerprints()
    for page in range(2, page_count + 1):
        if page in fingerprints and fingerprints.get(page) == fingerprints.get(page - 1):
            errors.append(f"page {page} repeats the ids of page {page - 1} (pagination drift)")
    totals = sorted(set(ledger.totals_seen().values()))
    if len(totals) > 1:
        errors.append(f"totalCount changed during the run: {', '.join(map(str, totals))}")
    if not meta.get("fatal") and not failed and distinct != total_count:
        errors.append(f"distinct records seen {distinct} differ from totalCount {total_count} "
                      f"(difference {distinct - total_count:+d})")
    return ConsistencyReport(page_count=page_count, pages_done=len(ledger.done_pages()), failed_pages=failed,
                             total_count=total_count, distinct=distinct,
                             processed=int(live.get("processedRecords") or 0), errors=errors)
