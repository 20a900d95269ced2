"""Bounded tenants (issue #18, point 7): an organization's syncSchedule comes due at most every
SYNC_MIN_INTERVAL_S (default 900 s); one that would sync more often is 409 with the reason."""

from __future__ import annotations

import pytest

from shared.models import Organization
from tests.conftest import settings_with

TOO_OFTEN = (
    ("* * * * *", "1 min apart (00:00 then 00:01)"),
    ("0,5 1 * * *", "5 min apart (01:00 then 01:05)"),
    ("*/14 * * * *", "4 min apart (00:56 then 01:00)"),  # 56 then the next hour's 0
    ("5,55 0,23 * * *", "10 min apart (23:55 then 00:05 the next day)"),  # across midnight
)
OFTEN_ENOUGH = ("*/15 * * * *", "0 */4 * * *", "30 2 * * *", "0,30 0,23 1 * *", "5,55 0,23 * * 1,3,5")


@pytest.mark.parametrize(("schedule", "reason"), TOO_OFTEN)
def test_a_schedule_due_more_often_than_sync_min_interval_s_is_409(schedule, reason, client, auth_headers,
                                                                   make_user, db):
    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    assert client.patch("/settings", json={"syncSchedule": "0 2 * * *"}, headers=headers).status_code == 200
    refused = client.patch("/settings", json={"syncSchedule": schedule}, headers=headers)
    assert refused.status_code == 409 and refused.is_json
    body = refused.get_json()
    assert body["success"] is False and reason in body["errors"]["syncSchedule"], body
    assert "SYNC_MIN_INTERVAL_S=900" in body["message"] and "15 min" in body["message"]
    db.expire_all()
    assert db.get(Organization, admin.organization_id).sync_schedule == "0 2 * * *"  # unchanged


@pytest.mark.parametrize("schedule", OFTEN_ENOUGH)
def test_a_schedule_due_at_most_every_15_minutes_is_accepted(schedule, client, auth_headers):
    # `0,30 0,23 1 * *`: 23:30 and 00:00 of the next day never both come (the 1st only);
    # `5,55 0,23 * * 1,3,5`: neither do 23:55 and 00:05 (no two weekdays in a row).
    response = client.patch("/settings", json={"syncSchedule": schedule}, headers=auth_headers("ADMIN"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["syncSchedule"] == schedule


def test_a_new_organization_with_a_schedule_too_often_is_409(client, auth_headers, db):
    refused = client.post("/organizations", json={"name": "Noisy", "syncSchedule": "* * * * *"},
                          headers=auth_headers("SUPERADMIN"))
    assert refused.status_code == 409 and "syncSchedule" in refused.get_json()["errors"]
    assert db.query(Organization).filter_by(name="Noisy").count() == 0


def test_sync_min_interval_s_sets_the_bound(settings, auth_headers, make_user):
    from api import create_app

    admin = make_user("ADMIN")
    headers = auth_headers(user=admin)
    hourly = create_app(settings_with(settings, sync_min_interval_s=3600))
    every_minute = create_app(settings_with(settings, sync_min_interval_s=60))
    try:
        refused = hourly.test_client().patch("/settings", json={"syncSchedule": "*/30 * * * *"}, headers=headers)
        assert refused.status_code == 409 and "SYNC_MIN_INTERVAL_S=3600" in refused.get_json()["message"]
        allowed = every_minute.test_client().patch("/settings", json={"syncSchedule": "* * * * *"}, headers=headers)
        assert allowed.status_code == 200, allowed.get_json()
    finally:
        for app in (hourly, every_minute):
            app.extensions["navai"].engine.dispose()


def test_a_schedule_that_never_comes_due_is_still_400_not_409(client, auth_headers):
    response = client.patch("/settings", json={"syncSchedule": "* * 30 2 *"}, headers=auth_headers("ADMIN"))
    assert response.status_code == 400 and "syncSchedule" in response.get_json()["errors"]
