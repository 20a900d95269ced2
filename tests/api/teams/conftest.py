"""An organization with two branches, three departments, employees in them and a call log credited
to them, built in the real database; and the caller of each role."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from shared.models import Branch, Call, CallLogEntry, Department, Organization, User

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class TeamWorld:
    organization: Organization
    branches: dict[str, Branch]
    departments: dict[str, Department]
    employees: dict[str, User]  # by extension
    admin_headers: dict[str, str]


def log_call(db: Session, organization_id: int, employee: User | None, *, answered: bool = True, talk_s: int = 60,
             score: int | None = None, days_ago: int = 1) -> CallLogEntry:
    """One call-log row credited to `employee`; with `score`, also its stored call scored out of 10."""
    record_id = secrets.token_hex(6)
    started = NOW - timedelta(days=days_ago)
    entry = CallLogEntry(organization_id=organization_id, record_id=record_id, direction="incoming",
                         status="answered" if answered else "missed", started_at=started,
                         ext_code=employee.ext_code if employee else None,
                         employee_id=employee.id if employee else None, from_number="+998901112233",
                         to_number="200", talk_duration_s=talk_s if answered else 0, has_recording=score is not None)
    db.add(entry)
    if score is not None:
        db.add(Call(organization_id=organization_id, employee_id=employee.id if employee else None,
                    external_id=record_id, direction="incoming", status="answered", started_at=started,
                    from_number="+998901112233", to_number="200", ai_status="done", overall_score=score,
                    score_max=10, raw={}))
    return entry


@pytest.fixture
def team_world(db: Session, make_user: Callable[..., User], auth_headers) -> TeamWorld:  # type: ignore[no-untyped-def]
    """Branches North (Sales, Support) and South (Sales); employees 201, 202 in North/Sales, 203 in
    North/Support, 204 in South/Sales, 205 in none; calls for each."""
    admin = make_user("ADMIN")
    organization = db.get(Organization, admin.organization_id)
    north, south = Branch(organization_id=organization.id, name="North"), Branch(organization_id=organization.id,
                                                                                 name="South")
    db.add_all([north, south])
    db.flush()
    departments = {"north-sales": Department(organization_id=organization.id, branch_id=north.id, name="Sales"),
                   "north-support": Department(organization_id=organization.id, branch_id=north.id, name="Support"),
                   "south-sales": Department(organization_id=organization.id, branch_id=south.id, name="Sales")}
    db.add_all(departments.values())
    db.flush()
    placement = {"201": "north-sales", "202": "north-sales", "203": "north-support", "204": "south-sales", "205": None}
    employees = {}
    for ext, key in placement.items():
        user = make_user("EMPLOYEE", organization=organization, ext_code=ext)
        user.department_id = departments[key].id if key else None
        employees[ext] = user
    db.commit()
    # 201: 3 answered (one scored 8) + 1 missed; 202: 2 answered (scored 6, 10); 203: 1 answered, 2 missed;
    # 204: 2 answered (one scored 4); 205: 1 answered; nobody's: 1 missed.
    plan = {"201": [(True, 8), (True, None), (True, None), (False, None)], "202": [(True, 6), (True, 10)],
            "203": [(True, None), (False, None), (False, None)], "204": [(True, 4), (True, None)],
            "205": [(True, None)]}
    for ext, calls in plan.items():
        for answered, score in calls:
            log_call(db, organization.id, employees[ext], answered=answered, score=score)
    log_call(db, organization.id, None, answered=False)
    db.commit()
    return TeamWorld(organization, {"north": north, "south": south}, departments, employees,
                     auth_headers(user=admin))
