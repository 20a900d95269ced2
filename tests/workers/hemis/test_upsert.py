"""The page upsert and mark-inactive, on the real test database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from shared.models import Organization, Student, utcnow
from simulators.hemis import data
from workers.hemis.mapping import student_row
from workers.hemis.upsert import mark_unseen_inactive, upsert_rows

SEED = 3


def _rows(indexes: range) -> list[dict]:
    return [student_row(data.student(SEED, index)) for index in indexes]


def test_a_page_is_written_once_per_record_and_a_rewrite_updates_in_place(db, hemis_org):
    rows = _rows(range(50))
    org = hemis_org.id
    assert upsert_rows(db, "students", rows + rows[:5], organization_id=org, run_id="run-1", now=utcnow()) == 50
    db.commit()
    assert upsert_rows(db, "students", rows, organization_id=org, run_id="run-2", now=utcnow()) == 50
    db.commit()
    stored = db.scalars(select(Student)).all()
    assert len(stored) == 50 and {s.last_seen_run_id for s in stored} == {"run-2"}
    assert sorted(s.hemis_id for s in stored) == sorted(row["hemis_id"] for row in rows)
    assert {s.organization_id for s in stored} == {org}


def test_only_records_unseen_and_written_before_the_run_started_become_inactive(db, hemis_org):
    org = hemis_org.id
    before = utcnow() - timedelta(minutes=5)
    upsert_rows(db, "students", _rows(range(0, 3)), organization_id=org, run_id="old-run", now=before)  # an earlier run
    run_started_at = utcnow() - timedelta(minutes=1)
    upsert_rows(db, "students", _rows(range(3, 5)), organization_id=org, run_id="this-run", now=utcnow())  # this run
    upsert_rows(db, "students", _rows(range(5, 6)), organization_id=org, run_id=None, now=utcnow())  # a single sync
    db.commit()

    assert mark_unseen_inactive(db, "students", org, "this-run", run_started_at) == 3
    db.commit()
    active = {s.hemis_id: s.is_active for s in db.scalars(select(Student))}
    expected_inactive = {row["hemis_id"] for row in _rows(range(0, 3))}
    assert {hemis_id for hemis_id, is_active in active.items() if not is_active} == expected_inactive


def test_each_organization_keeps_its_own_rows_and_deactivation_stays_within_it(db, hemis_org):
    """Two universities whose HEMIS happen to use the same ids: each has its own rows, a rewrite of
    one never touches the other's, and one's run deactivates only its own unseen records."""
    other = Organization(name="Other university")
    db.add(other)
    db.commit()
    rows = _rows(range(4))
    before = utcnow() - timedelta(minutes=5)
    upsert_rows(db, "students", rows, organization_id=hemis_org.id, run_id="old-a", now=before)
    upsert_rows(db, "students", rows, organization_id=other.id, run_id="old-b", now=before)
    db.commit()
    run_started_at = utcnow() - timedelta(minutes=1)
    upsert_rows(db, "students", rows[:2], organization_id=hemis_org.id, run_id="run-a", now=utcnow())
    db.commit()

    assert mark_unseen_inactive(db, "students", hemis_org.id, "run-a", run_started_at) == 2
    db.commit()
    stored = db.scalars(select(Student)).all()
    assert len(stored) == 8
    by_org = {(s.organization_id, s.hemis_id): (s.is_active, s.last_seen_run_id) for s in stored}
    keys = [row["hemis_id"] for row in rows]
    assert [by_org[(hemis_org.id, key)] for key in keys] == [(True, "run-a"), (True, "run-a"),
                                                              (False, "old-a"), (False, "old-a")]
    assert [by_org[(other.id, key)] for key in keys] == [(True, "old-b")] * 4


def test_times_and_dates_are_stored_exactly_whatever_their_zone(db, hemis_org):
    """orjson writes the datetimes and dates of the page's JSON; PostgreSQL must read back the same
    instants (an offset other than UTC, a naive value counted as UTC) and the same birth dates."""
    rows = _rows(range(3))
    tashkent = timezone(timedelta(hours=5))
    moments = [datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc),
               datetime(2026, 3, 1, 14, 30, 15, 123456, tzinfo=tashkent),
               datetime(2026, 3, 1, 9, 30, 15, 123456)]  # naive: UTC
    for row, moment in zip(rows, moments):
        upsert_rows(db, "students", [row], organization_id=hemis_org.id, run_id="run-1", now=moment)
    db.commit()
    stored = {s.hemis_id: s for s in db.scalars(select(Student))}
    expected = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)
    assert {s.synced_at for s in stored.values()} == {expected}
    assert [stored[row["hemis_id"]].birth_date for row in rows] == [row["birth_date"] for row in rows]
