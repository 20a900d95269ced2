"""The demo organization's teams for the local run: two branches, three departments, and its
employees with an extension spread over them, so that `/stats/departments`, the team filters
and a department-limited MANAGER have something to show. Done once: an organization that already
has a branch is left as it is."""

from __future__ import annotations

from sqlalchemy import select

from shared.db import engine_for, make_session_factory, session_scope
from shared.models import Branch, Department, Role, User
from shared.settings import Settings

# branch name -> its departments' names
DEMO_TEAMS: dict[str, tuple[str, ...]] = {"Tashkent": ("Sales", "Support"), "Samarkand": ("Sales",)}


def ensure_demo_teams(settings: Settings, organization_id: int) -> list[str]:
    """Create the demo teams and place the employees (round robin, by extension); banner lines."""
    if not organization_id:
        return []
    engine = engine_for(settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            if session.scalar(select(Branch.id).where(Branch.organization_id == organization_id).limit(1)):
                return []
            departments = []
            for branch_name, department_names in DEMO_TEAMS.items():
                branch = Branch(organization_id=organization_id, name=branch_name)
                session.add(branch)
                session.flush()
                departments += [Department(organization_id=organization_id, branch_id=branch.id, name=name)
                                for name in department_names]
            session.add_all(departments)
            session.flush()
            employees = session.scalars(select(User).where(
                User.organization_id == organization_id, User.role == Role.EMPLOYEE.value,
                User.ext_code.is_not(None), User.department_id.is_(None)).order_by(User.ext_code))
            placed = 0
            for index, employee in enumerate(employees):
                employee.department_id = departments[index % len(departments)].id
                placed += 1
    finally:
        engine.dispose()
    return [f"  Teams   {len(DEMO_TEAMS)} branches, {len(departments)} departments, {placed} employees placed"]
