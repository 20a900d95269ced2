"""`/stats/hourly`: calls per hour of the day over the window, for staffing: how many calls come
at 09:00, 10:00, ... and how many of them are missed.

24 rows, hours 0..23 on the organization's wall clock (a call at 09:59 local counts in hour 9;
across a DST change each call counts in the hour its local clock showed), every hour present.
Summed over the window's days (`days` says how many, for a per-day average). One grouped
aggregate over the call log (`api.stats.buckets.hours`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.stats import buckets, queries

HOURS_PER_DAY = 24


def hourly(session: Session, scope: queries.Scope) -> list[dict[str, Any]]:
    figures = queries.grouped_figures(session, scope, buckets.hours(scope.window, scope.dialect), with_scores=False)
    return [{"hour": hour, **figures.get(hour, queries.empty_bucket_figures(with_scores=False))}
            for hour in range(HOURS_PER_DAY)]
