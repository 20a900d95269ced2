"""The fuzz test's own state: one organization with an ADMIN, a MANAGER, an EMPLOYEE, a call of the
employee with a stored recording, a criterion, a branch with a department the employee is in, and
a synced HEMIS student (two enrolments), employee and faculty, so the read API's rows are reached,
built on the empty tables of the fuzz test's own database (`conftest.py`) and an empty Redis DB.

Fuzzing creates users, changes settings, deactivates the very users it calls as, archives the
criterion, logs tokens out, starts runs. So the world is rebuilt before any operation that follows
one which changed it, and emptied when the test ends: no operation sees what another one did, and
no other test sees anything of the fuzzing. A change is a request other than a GET that succeeded:
a refused one wrote nothing (views raise inside `session_scope`, which rolls back), but for the
login throttle's count of failed logins, which only `/auth/login` reads.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import Engine
from werkzeug.security import generate_password_hash

from shared.db import make_session_factory, session_scope
from shared.models import Branch, Criterion, Department, Employee, HemisDepartment, Organization, Student, User
from shared.settings import Settings
from tests.support.calls import make_call
from tests.support.services import reset_redis, truncate_all

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNUSED_PASSWORD = "fuzzing-callers-use-minted-tokens"  # noqa: S105 - nobody logs in with it
HTTP_ERROR = 400
TIME_ZONE = "Asia/Tashkent"  # not UTC, so the statistics' day boundaries move with the zone


@dataclass(frozen=True)
class Seeded:
    organization_id: int
    admin_id: int
    manager_id: int
    employee_id: int
    call_id: int
    criterion_id: int
    branch_id: int
    department_id: int
    record_id: int  # a student's row and an employee's row both have it (`/students/<id>`, `/employees/<id>`)

    def path_ids(self) -> dict[str, int]:
        """The id each integer URL variable of the API names, so that a request reaches the object."""
        return {"organization_id": self.organization_id, "user_id": self.employee_id, "call_id": self.call_id,
                "criterion_id": self.criterion_id, "branch_id": self.branch_id, "department_id": self.department_id,
                "record_id": self.record_id}


class FuzzWorld:
    def __init__(self, engine: Engine, redis_client: redis.Redis, settings: Settings) -> None:
        self._engine = engine
        self._redis = redis_client
        self._settings = settings
        self._factory = make_session_factory(engine)
        self._password_hash = generate_password_hash(UNUSED_PASSWORD)  # once: hashing is slow by design
        self._changed = False
        self.seeded = self.reset()

    def note(self, method: str, status: int) -> None:
        """Remember whether a request may have changed the world (see the module's docstring)."""
        if method.upper() not in READ_ONLY_METHODS and status < HTTP_ERROR:
            self._changed = True

    def reset_if_changed(self) -> None:
        if self._changed:
            self.reset()

    def reset(self) -> Seeded:
        """Empty everything, then build the world again (ids restart, so they are always the same)."""
        self.clear()
        self._changed = False
        with session_scope(self._factory) as session:
            # With the simulator's Sipuni account, so that the Sipuni routes get past "no account".
            organization = Organization(name="Fuzzed organization", time_zone=TIME_ZONE,
                                        sipuni_user=self._settings.sipuni_user,
                                        sipuni_secret=self._settings.sipuni_secret)
            session.add(organization)
            session.flush()
            admin, manager, employee = (
                User(email=f"{role.lower()}@fuzz.test", password_hash=self._password_hash, role=role,
                     organization_id=organization.id, ext_code=ext_code)
                for role, ext_code in (("ADMIN", None), ("MANAGER", None), ("EMPLOYEE", "201")))
            session.add_all([admin, manager, employee])
            criterion = Criterion(organization_id=organization.id, name="Greeting", weight=1.0)
            branch = Branch(organization_id=organization.id, name="Main branch")
            session.add_all([criterion, branch])
            session.flush()
            department = Department(organization_id=organization.id, branch_id=branch.id, name="Sales")
            session.add(department)
            session.flush()
            employee.department_id = department.id
            call = make_call(session, self._settings, organization.id, employee)
            record_id = _seed_hemis(session, organization.id)
            self.seeded = Seeded(organization.id, admin.id, manager.id, employee.id, call.id, criterion.id,
                                 branch.id, department.id, record_id)
        return self.seeded

    def clear(self) -> None:
        truncate_all(self._engine)
        reset_redis(self._redis)
        data_dir = Path(self._settings.data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)


def _seed_hemis(session, organization_id: int) -> int:  # type: ignore[no-untyped-def]
    """A faculty, a person enrolled twice and an employee; returns the id both first rows have."""
    session.add(HemisDepartment(organization_id=organization_id, hemis_id="7", code="326-101", name="Faculty",
                                structure_type_code="11"))
    students = [Student(organization_id=organization_id, enrolment_key=key, hemis_id="501", meta_id=key,
                        student_id_number="326211100001", full_name="Karimov Bobur", department_id="7",
                        department_name="Faculty", level_code=level, education_form_code="11", status_code="11")
                for key, level in (("9001", "11"), ("9002", "15"))]
    employee = Employee(organization_id=organization_id, meta_id="8001", hemis_id="601", full_name="Aliyeva Nodira",
                        employee_id_number="3262311010", department_id="7")
    session.add_all([*students, employee])
    session.flush()
    assert students[0].id == employee.id, "the tables were emptied: both first rows have id 1"
    return employee.id
