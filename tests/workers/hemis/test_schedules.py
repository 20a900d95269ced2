"""Beat's HEMIS syncs per organization: `hemis.nightly_sync` (HEMIS_SYNC_CRON) starts the chain of
every organization with a HEMIS and no schedule of its own; `hemis.scheduled_syncs` starts the
organizations whose own `hemis_sync_schedule` is due, once per due time."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from shared.models import HemisDepartment, HemisGroup, HemisSemester, Organization, Student, SyncRun, utcnow
from tests.support.hemis import wait_for_run

TASK_WAIT_S = 30
CHAIN_WAIT_S = 120
CHAIN_KINDS = ["hemis_departments", "hemis_specialties", "hemis_groups", "hemis_semesters", "hemis_students",
               "hemis_employees"]


def test_each_organization_syncs_on_its_own_schedule_or_the_deployments(hemis, worker, celery_app, db, settings,
                                                                       app):
    hemis.reset(students=40, employees=4)
    own = Organization(name="Own schedule", hemis_url=settings.hemis_api_url, hemis_token=settings.hemis_bearer_token,
                       hemis_sync_schedule="30 2 * * *", time_zone="Asia/Tashkent",
                       next_hemis_sync_at=utcnow() - timedelta(minutes=1))
    default = Organization(name="Deployment's schedule", hemis_url=settings.hemis_api_url,
                           hemis_token=settings.hemis_bearer_token)
    without = Organization(name="No HEMIS")
    db.add_all([own, default, without])
    db.commit()

    nightly = celery_app.send_task("hemis.nightly_sync").get(timeout=TASK_WAIT_S)
    assert [item["organizationId"] for item in nightly["started"]] == [default.id]

    due = celery_app.send_task("hemis.scheduled_syncs").get(timeout=TASK_WAIT_S)
    assert [item["organizationId"] for item in due["started"]] == [own.id]
    again = celery_app.send_task("hemis.scheduled_syncs").get(timeout=TASK_WAIT_S)
    assert again["started"] == []  # claimed: its due time moved on to the next 02:30 in Tashkent
    db.expire_all()
    assert db.get(Organization, own.id).next_hemis_sync_at > utcnow()

    # Each chain runs the lookup lists first, then students and employees, all of its organization.
    factory = app.extensions["navai"].session_factory
    for organization in (own, default):
        first = wait_for_run(factory, next(item["runId"] for item in (nightly["started"] + due["started"])
                                           if item["organizationId"] == organization.id))
        assert first.kind == "hemis_departments"
    for organization in (own, default):
        runs = _wait_for_chain(factory, organization.id, len(CHAIN_KINDS))
        assert [run.kind for run in runs] == CHAIN_KINDS
        assert all(run.status == "completed" for run in runs), [(run.kind, run.status, run.errors) for run in runs]
    assert not db.scalars(select(SyncRun).where(SyncRun.organization_id == without.id)).all()
    # Students point to the lookup rows their own organization synced.
    for organization in (own, default):
        departments = set(db.scalars(select(HemisDepartment.hemis_id)
                                     .where(HemisDepartment.organization_id == organization.id)))
        groups = set(db.scalars(select(HemisGroup.hemis_id).where(HemisGroup.organization_id == organization.id)))
        semesters = set(db.scalars(select(HemisSemester.hemis_id)
                                   .where(HemisSemester.organization_id == organization.id)))
        students = db.execute(select(Student.department_id, Student.group_id, Student.semester_id)
                              .where(Student.organization_id == organization.id)).all()
        assert len(students) == 40 and departments and groups and semesters
        assert {student.department_id for student in students} <= departments
        assert {student.group_id for student in students} <= groups
        assert {student.semester_id for student in students} <= semesters


def _wait_for_chain(factory, organization_id: int, length: int) -> list[SyncRun]:
    deadline = time.monotonic() + CHAIN_WAIT_S
    while time.monotonic() < deadline:
        with factory() as session:
            runs = list(session.scalars(select(SyncRun).where(SyncRun.organization_id == organization_id)
                                        .order_by(SyncRun.started_at)))
            if len(runs) == length and all(run.status != "running" for run in runs):
                return runs
        time.sleep(0.3)
    raise AssertionError(f"organization {organization_id}: the nightly chain did not end")


def test_a_refused_token_stops_the_nightly_chain_at_its_first_run(hemis, worker, db, settings, app):
    """Every kind would be refused the same way: one failed run names the token, and no other kind
    of the chain is started (a 404, one list this HEMIS does not serve, lets the chain go on)."""
    from shared.hemis.start import start_nightly
    from tests.support.hemis import own_hemis_organization_id

    hemis.reset(students=10)
    refused = Organization(id=own_hemis_organization_id(), name="Wrong token", hemis_url=settings.hemis_api_url,
                           hemis_token="not-" + settings.hemis_bearer_token)
    db.add(refused)
    db.commit()
    first = start_nightly(app.extensions["navai"], refused.id)
    run = wait_for_run(app.extensions["navai"].session_factory, first.run_id)
    assert run.status == "failed" and any("hemisToken" in error for error in run.errors), run.errors
    time.sleep(2)  # a next kind, if one were started, would be recorded by now
    kinds = list(db.scalars(select(SyncRun.kind).where(SyncRun.organization_id == refused.id)))
    assert kinds == ["hemis_departments"]
