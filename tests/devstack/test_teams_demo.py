"""The local run's demo teams: two branches, three departments, the employees spread over them,
once."""

from __future__ import annotations

from sqlalchemy import func, select

from devstack.teams_demo import ensure_demo_teams
from shared.models import Branch, Department, User


def test_the_demo_gets_branches_departments_and_placed_employees_once(settings, db, make_user):
    admin = make_user("ADMIN")
    organization = admin.organization
    employees = [make_user("EMPLOYEE", organization=organization, ext_code=ext) for ext in ("201", "202", "203", "204")]

    lines = ensure_demo_teams(settings, organization.id)
    assert lines and "3 departments" in lines[0] and "4 employees" in lines[0]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Branch)) == 2
    departments = set(db.scalars(select(Department.id)))
    assert len(departments) == 3
    placed = [db.get(User, employee.id).department_id for employee in employees]
    assert set(placed) == departments  # round robin: every department has someone
    assert db.get(User, admin.id).department_id is None

    assert ensure_demo_teams(settings, organization.id) == []  # the second start changes nothing
    assert db.scalar(select(func.count()).select_from(Department)) == 3
