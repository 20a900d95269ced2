"""The fuzz test's own state: one organization with an ADMIN, an EMPLOYEE, a call of the employee
with a stored recording, and a criterion, built on empty tables and an empty Redis DB.

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
from shared.models import Criterion, Organization, User
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
    employee_id: int
    call_id: int
    criterion_id: int

    def path_ids(self) -> dict[str, int]:
        """The id each integer URL variable of the API names, so that a request reaches the object."""
        return {"organization_id": self.organization_id, "user_id": self.employee_id, "call_id": self.call_id,
                "criterion_id": self.criterion_id}


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
            organization = Organization(name="Fuzzed organization", time_zone=TIME_ZONE)
            session.add(organization)
            session.flush()
            admin, employee = (User(email=f"{role.lower()}@fuzz.test", password_hash=self._password_hash, role=role,
                                    organization_id=organization.id, ext_code=ext_code)
                               for role, ext_code in (("ADMIN", None), ("EMPLOYEE", "201")))
            session.add_all([admin, employee])
            criterion = Criterion(organization_id=organization.id, name="Greeting", weight=1.0)
            session.add(criterion)
            session.flush()
            call = make_call(session, self._settings, organization.id, employee)
            self.seeded = Seeded(organization.id, admin.id, employee.id, call.id, criterion.id)
        return self.seeded

    def clear(self) -> None:
        truncate_all(self._engine)
        reset_redis(self._redis)
        data_dir = Path(self._settings.data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
