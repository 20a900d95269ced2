"""The organization's calls for the statistics tests, and what the tests expect of them.

Step 1 runs for real (Sipuni simulator → worker → call log). The scored calls stand for what
step 2 and the AI pipeline would store: the test gives each attributable answered call a score it
chooses (from the call's epoch), so that every expected average is known.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.models import Call, CallScore, Criterion, Organization, User, Violation
from tests.support.sipuni import EMPLOYEE_EXTS, wait_for_run

SIM_CALLS = 300  # ~26 hours of calls: they cross local midnight and the UTC day boundary (05:00 local)
SIM_SEED = 11
SIM_TZ = "Asia/Tashkent"  # the simulator's accounts are UTC+5
SIM_OFFSET_H = 5

Synced = tuple[dict[str, str], Organization, list[dict[str, Any]], dict[str, User], list[Criterion]]


def score_of(call: dict) -> float:
    return float(call["epoch"] % 11)  # 0..10 on a scale of 10


def criterion_scores(call: dict) -> tuple[float, float]:
    return float(call["epoch"] % 7), float(call["epoch"] % 5 + 5)


def violations_of(call: dict) -> int:
    return call["epoch"] % 3


def scored(truth: list[dict]) -> list[dict]:
    """The calls the tests store as scored: answered calls of a known employee."""
    return [call for call in truth if call["employee_ext"] in EMPLOYEE_EXTS and call["answered"]]


def local_time(call: dict, offset_h: int = SIM_OFFSET_H) -> datetime:
    """The call's wall-clock time (naive) at a fixed UTC offset."""
    return datetime.fromtimestamp(call["epoch"], UTC).replace(tzinfo=None) + timedelta(hours=offset_h)


def local_day(call: dict, offset_h: int) -> date:
    return local_time(call, offset_h).date()


@pytest.fixture
def sync_calls(client, auth_headers, sipuni, sipuni_org, worker, db) -> Callable[..., Synced]:  # type: ignore[no-untyped-def]
    """Sync `calls` simulator calls (the newest at `newest_local`, the account's local time) into
    the organization (Asia/Tashkent, scores out of 100) and store the scored ones; returns
    (admin headers, organization, the simulator's calls, users by extension, criteria)."""
    admin, organization = sipuni_org

    def sync(calls: int = SIM_CALLS, seed: int = SIM_SEED, newest_local: datetime | None = None) -> Synced:
        organization.time_zone, organization.scoring_mode = SIM_TZ, "HUNDRED"
        db.commit()
        headers = auth_headers(user=admin)
        sipuni.reset(calls=calls, seed=seed, newest_local=newest_local.isoformat() if newest_local else None)
        response = client.post(f"/sipuni/step1-fetch-csv?limit={calls}", headers=headers)
        assert response.status_code == 202
        assert wait_for_run(client, headers, response.get_json()["runId"])["status"] == "completed"
        truth = sipuni.calls()
        users = {user.ext_code: user for user in db.query(User).filter(User.organization_id == organization.id)}
        criteria = _store_scored(db, organization, truth, users)
        return headers, organization, truth, users, criteria

    return sync


@pytest.fixture
def synced(sync_calls) -> Synced:  # type: ignore[no-untyped-def]
    """The organization after step 1 of SIM_CALLS calls (the simulator's default dates), scored."""
    return sync_calls()


def _store_scored(db, organization: Organization, truth: list[dict], users: dict[str, User]) -> list[Criterion]:  # type: ignore[no-untyped-def]
    criteria = [Criterion(organization_id=organization.id, name=name, weight=weight) for name, weight in
                (("Greeting", 1.0), ("Solution", 2.0))]
    db.add_all(criteria)
    db.flush()
    for call in scored(truth):
        stored = Call(organization_id=organization.id, employee_id=users[call["employee_ext"]].id,
                      external_id=call["record_id"], direction=call["direction"], status="answered",
                      started_at=datetime.fromtimestamp(call["epoch"], UTC), raw={}, ai_status="done",
                      overall_score=score_of(call), score_max=10)
        db.add(stored)
        db.flush()
        for criterion, score in zip(criteria, criterion_scores(call)):
            db.add(CallScore(call_id=stored.id, criterion_id=criterion.id, score=score, max_score=10,
                             weight=criterion.weight))
        db.add_all(Violation(call_id=stored.id, position=n, description="interrupted the client")
                   for n in range(violations_of(call)))
    db.commit()
    return criteria
