"""`/stats/monthly?year=`: the twelve months of a year in the organization's time zone, every
month present (a month without calls has zeros and no average score).

One grouped aggregate per source over the year, keyed by the local month of each call
(`api.stats.buckets.months`): the call log for counts and talk time, the scored calls for their
number and average score, their violations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.stats import buckets, queries


def monthly(session: Session, scope: queries.Scope) -> list[dict[str, Any]]:
    """One row per month of the scope's window (a calendar year), `month` as `YYYY-MM`."""
    groups = buckets.months(scope.window, scope.dialect)
    figures = queries.grouped_figures(session, scope, groups, with_scores=True)
    violations = queries.grouped_violations(session, scope, groups)
    year = scope.window.first_day.year
    return [{"month": f"{year:04d}-{month:02d}", **figures.get(month, queries.empty_bucket_figures(with_scores=True)),
             "violations": violations.get(month, 0)}
            for month in range(1, buckets.MONTHS_PER_YEAR + 1)]
