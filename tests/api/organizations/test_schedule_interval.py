"""`api.organizations.schedule_interval`: the shortest gap between two due times of a cron, checked
against the due times croniter itself lists."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise

import pytest
from croniter import croniter

from api.organizations.schedule_interval import interval_problem, shortest_gap_under_a_day

START = datetime(2025, 1, 1, tzinfo=timezone.utc)
A_DAY_MIN = 24 * 60


def _listed_shortest_gap_min(expression: str, days: int) -> int:
    """The shortest gap among the due times croniter lists over `days` days (slow, but plain)."""
    due = croniter(expression, START)
    times = []
    while not times or times[-1] < START + timedelta(days=days):
        times.append(due.get_next(datetime))
    return min(int((later - earlier).total_seconds()) // 60 for earlier, later in pairwise(times))


@pytest.mark.parametrize("expression", ["*/7 * * * *", "0,5 1 * * *", "5,55 0,23 * * *", "10 */5 * * *",
                                        "0,40 9,23 * * 1-5", "5,55 0,23 * * 1,3,5", "0,30 0,23 1 * *"])
def test_the_gap_is_the_one_croniter_lists(expression):
    gap = shortest_gap_under_a_day(expression, START)
    assert gap is not None and gap.minutes == _listed_shortest_gap_min(expression, days=40)


def test_a_cron_due_at_most_once_a_day_has_no_gap_under_a_day():
    for expression in ("0 2 * * *", "50 23 * * *", "0 0 1 * *", "0 0 29 2 *"):
        assert shortest_gap_under_a_day(expression, START) is None


def test_days_in_a_row_only_in_a_leap_year_count():
    # February 28th and 29th follow each other in 2028 only: 23:55 then 00:05, ten minutes.
    gap = shortest_gap_under_a_day("5,55 0,23 28,29 2 *", START)
    assert gap is not None and (gap.minutes, gap.example) == (10, "23:55 then 00:05 the next day")


def test_the_problem_names_the_gap_and_the_setting():
    assert interval_problem("*/15 * * * *", 900, START) is None
    problem = interval_problem("*/10 * * * *", 900, START)
    assert problem == ("'*/10 * * * *' comes due 10 min apart (00:00 then 00:10); due times must be at least "
                       "15 min apart (SYNC_MIN_INTERVAL_S=900)")
    assert "2 h apart" in (interval_problem("0 */2 * * *", 4 * 3600, START) or "")
    assert interval_problem("0 0 * * *", A_DAY_MIN * 60, START) is None
