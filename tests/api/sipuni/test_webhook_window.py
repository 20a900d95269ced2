"""`POST /sipuni-integration` with `from`/`to`: step 1 exports that window, step 2 processes it."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.support.sipuni import wait_for_run


def test_the_webhook_window_is_exported_and_processed(client, auth_headers, sipuni, worker, make_user, settings):
    admin = make_user("ADMIN")  # no employees: every call is skipped before any download
    headers = auth_headers(user=admin)
    sipuni.reset(calls=400, seed=11)
    truth = sipuni.calls()
    days = sorted({call["local_date"] for call in truth}, key=lambda d: datetime.strptime(d, "%d.%m.%Y"))
    assert len(days) >= 2
    day = days[1]
    in_day = sum(call["local_date"] == day for call in truth)
    response = client.post("/sipuni-integration", json={"organizationId": admin.organization_id, "limit": 10,
                                                         "from": day, "to": day},
                           headers={"X-API-Key": settings.webhook_api_key})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    step1 = wait_for_run(client, headers, body["runId"])
    assert step1["triggeredBy"] == "webhook" and step1["stats"]["totalRecords"] == in_day  # the window, not limit
    step2 = wait_for_run(client, headers, body["step2"]["runId"])
    assert step2["status"] == "completed" and step2["total"] == in_day
    assert step2["stats"]["skippedByReason"]["employee_not_found"] == in_day
    assert sipuni.stats()["requests"].get("statistic/export") == 1


@pytest.mark.parametrize("window, field", [
    ({"from": "2025-10-05", "to": "06.10.2025"}, "from"),
    ({"from": "06.10.2025"}, None),
    ({"from": "06.10.2025", "to": "05.10.2025"}, None),
])
def test_a_bad_webhook_window_is_400(client, settings, make_user, window, field):
    admin = make_user("ADMIN")
    response = client.post("/sipuni-integration", json={"organizationId": admin.organization_id, **window},
                           headers={"X-API-Key": settings.webhook_api_key})
    assert response.status_code == 400
    if field:
        assert field in response.get_json()["errors"]
