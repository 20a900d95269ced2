"""Every input the attack report answered 500 to is now a 4xx JSON error (issue #12, point 9)."""

from __future__ import annotations

import pytest

from tests.support.calls import make_call

DEEP_JSON = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000


def _is_json_4xx(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json and response.get_json()["success"] is False


def test_a_page_far_beyond_bigint_is_400(client, auth_headers):
    _is_json_4xx(client.get(f"/calls?page={10**17}", headers=auth_headers()), 400)


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=9999-12-31", "from=0001-01-01T00:00:00%2B05:00",
                                   "to=0001-01-01", "from=1899-12-31T23:00:00"])
def test_extreme_dates_in_call_filters_are_400(query, client, auth_headers):
    response = client.get(f"/calls?{query}", headers=auth_headers())
    _is_json_4xx(response, 400)
    assert set(response.get_json()["errors"]) & {"from", "to"}


def test_a_nul_byte_in_a_path_is_400(client, auth_headers):
    _is_json_4xx(client.get("/runs/abc%00def", headers=auth_headers()), 400)
    _is_json_4xx(client.get("/tasks/abc%00", headers=auth_headers()), 400)


def test_a_nul_byte_in_the_query_is_400(client, auth_headers):
    _is_json_4xx(client.get("/calls?status=pen%00ding", headers=auth_headers()), 400)


def test_a_nul_byte_in_the_login_email_is_400(client):
    _is_json_4xx(client.post("/auth/login", json={"email": "a\x00@example.test", "password": "x"}), 400)


def test_a_nul_byte_in_criteria_fields_is_400(client, auth_headers):
    headers = auth_headers()
    _is_json_4xx(client.post("/criteria", json={"name": "po\x00lite"}, headers=headers), 400)
    _is_json_4xx(client.post("/criteria", json={"name": "ok", "description": "\x00"}, headers=headers), 400)
    created = client.post("/criteria", json={"name": "ok"}, headers=headers).get_json()["criterion"]
    _is_json_4xx(client.patch(f"/criteria/{created['id']}", json={"name": "x\x00"}, headers=headers), 400)


@pytest.mark.parametrize("method, path", [("post", "/auth/login"), ("post", "/criteria"),
                                          ("put", "/criteria/scoring-mode"), ("post", "/sipuni-integration"),
                                          ("post", "/api/hemis/sync/student")])
@pytest.mark.parametrize("body", [DEEP_JSON, DEEP_OBJECT])
def test_json_nested_5000_deep_is_400_on_every_json_route(method, path, body, client, auth_headers, settings):
    headers = {**auth_headers(), "Content-Type": "application/json", "X-API-Key": settings.webhook_api_key}
    response = getattr(client, method)(path, data=body, headers=headers)
    _is_json_4xx(response, 400)
    assert response.get_json()["message"] == "Request body is not valid JSON"


def test_ids_beyond_any_database_integer_are_404(client, auth_headers):
    headers = auth_headers()
    _is_json_4xx(client.get(f"/calls/{10**30}", headers=headers), 404)
    _is_json_4xx(client.delete(f"/criteria/{2**63}", headers=headers), 404)


def test_a_superadmins_huge_organization_id_is_400(client, auth_headers):
    _is_json_4xx(client.get(f"/criteria?organizationId={10**20}", headers=auth_headers("SUPERADMIN")), 400)


# --- inputs the fuzzing of the 19 routes first documented in /openapi.json answered 500 to ----------

STATS_PATHS = ("/stats/overview", "/stats/employees", "/stats/employees.csv", "/stats/employees.xlsx",
               "/stats/daily", "/stats/criteria")
# Years where the window's own arithmetic leaves Python's dates: the day after `to`, 30 days
# before it, or the zone's offset (Tashkent is UTC+5: its 0001-01-01 starts in year 0 in UTC).
EXTREME_WINDOWS = ("from=0001-01-01&to=0001-01-05", "to=9999-12-31", "to=0001-01-01", "from=31.12.9999&to=31.12.9999",
                   "from=1899-12-31&to=1900-01-05")
# The fifth Monday of February comes only when February 29th is a Monday (2044, then every 28
# years); February 29th alone (tested with a fixed clock in tests/workers/sipuni/test_schedules.py).
NEVER_DUE = ("0 0 30 2 *", "0 0 31 4 *", "0 0 * 2 1#5")


@pytest.fixture
def tashkent_admin(make_user, db):  # type: ignore[no-untyped-def]
    admin = make_user("ADMIN")
    admin.organization.time_zone = "Asia/Tashkent"
    db.commit()
    return admin


@pytest.mark.parametrize("path", STATS_PATHS)
@pytest.mark.parametrize("query", EXTREME_WINDOWS)
def test_extreme_days_in_a_stats_window_are_400(path, query, client, auth_headers, tashkent_admin):
    response = client.get(f"{path}?{query}", headers=auth_headers(user=tashkent_admin))
    _is_json_4xx(response, 400)
    assert set(response.get_json()["errors"]) & {"from", "to"}


@pytest.mark.parametrize("schedule", NEVER_DUE)
def test_a_schedule_that_never_comes_due_is_400(schedule, client, auth_headers):
    response = client.patch("/settings", json={"syncSchedule": schedule}, headers=auth_headers())
    _is_json_4xx(response, 400)
    assert "never comes due within a year" in response.get_json()["errors"]["syncSchedule"]
    created = client.post("/organizations", json={"name": "Feb 30", "syncSchedule": schedule},
                          headers=auth_headers("SUPERADMIN"))
    _is_json_4xx(created, 400)


def test_a_stored_schedule_that_never_comes_due_is_400_when_the_zone_changes(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    admin.organization.sync_schedule = NEVER_DUE[0]  # stored before schedules were checked for it
    db.commit()
    response = client.patch("/settings", json={"timeZone": "Asia/Tashkent"}, headers=auth_headers(user=admin))
    _is_json_4xx(response, 400)
    assert "syncSchedule" in response.get_json()["errors"]


def test_a_cron_is_accepted_only_with_a_due_time_within_a_year():
    from datetime import datetime, timezone

    from shared.schedules import cron_problem

    before_a_leap_day, long_before = datetime(2027, 3, 1, tzinfo=timezone.utc), datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert cron_problem("0 0 29 2 *", before_a_leap_day) is None  # February 29th, 2028: within a year
    assert "within a year" in (cron_problem("0 0 29 2 *", long_before) or "")
    assert cron_problem("0 0 31 12 *", long_before) is None


@pytest.mark.parametrize("body", [b'{"name": "x", "weight": NaN}', b'{"name": "x", "weight": Infinity}',
                                  b'{"name": "x", "weight": -Infinity}', b'{"name": "x", "weight": 1e999}'])
def test_a_weight_that_is_no_finite_number_is_400(body, client, auth_headers):
    response = client.post("/criteria", data=body, headers={**auth_headers(), "Content-Type": "application/json"})
    _is_json_4xx(response, 400)
    assert "weight" in response.get_json()["errors"]


def test_a_range_header_with_thousands_of_digits_is_400(client, auth_headers, make_user, db, settings):
    admin = make_user("ADMIN")
    call = make_call(db, settings, admin.organization_id, admin)
    headers = auth_headers(user=admin)
    for huge in ("bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000):
        response = client.get(f"/calls/{call.id}/recording", headers={**headers, "Range": huge})
        _is_json_4xx(response, 400)
        assert "Range" in response.get_json()["errors"]
    to_the_end = client.get(f"/calls/{call.id}/recording", headers={**headers, "Range": "bytes=0-" + "9" * 18})
    assert to_the_end.status_code == 206  # a last position beyond the file means "to the end"
    assert to_the_end.headers["Content-Range"] == f"bytes 0-{len(to_the_end.data) - 1}/{len(to_the_end.data)}"


@pytest.mark.parametrize("value", ["bytes=0-" + "9" * 19, "bytes=" + "9" * 40 + "-", "bytes=-" + "1" * 19,
                                   "bytes=" + "0" * 19 + "-1"])
def test_a_range_position_of_more_than_18_digits_is_416(value, client, auth_headers, make_user, db, settings):
    admin = make_user("ADMIN")
    call = make_call(db, settings, admin.organization_id, admin)
    response = client.get(f"/calls/{call.id}/recording", headers={**auth_headers(user=admin), "Range": value})
    _is_json_4xx(response, 416)
    assert response.headers["Content-Range"] == f"bytes */{response.get_json()['size']}"
