"""Bounded tenants (issue #18, point 7): statistics windows of an EMPLOYEE or MANAGER span at most
STATS_MAX_WINDOW_DAYS (ADMIN and SUPERADMIN keep ten years), and a statistics query that runs
longer than STATS_STATEMENT_TIMEOUT_MS is cancelled with a clear 503, transaction-locally."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from api.stats.window import MAX_WINDOW_DAYS
from tests.conftest import settings_with

STATS_PATHS = ("/stats/overview", "/stats/employees", "/stats/daily", "/stats/criteria", "/stats/employees.csv",
               "/stats/employees.xlsx")
LAST_DAY = date(2025, 12, 31)
SEEDED_LOG_ROWS = 200_000


def _window(days: int) -> str:
    return f"from={(LAST_DAY - timedelta(days=days - 1)).isoformat()}&to={LAST_DAY.isoformat()}"


@pytest.mark.parametrize("role", ["EMPLOYEE", "MANAGER"])
def test_an_employee_or_manager_window_spans_at_most_stats_max_window_days(role, client, auth_headers, make_user,
                                                                           settings):
    admin = make_user("ADMIN")
    headers = auth_headers(role, organization=admin.organization)
    longest = settings.stats_max_window_days
    assert longest == 400
    for path in STATS_PATHS:
        assert client.get(f"{path}?{_window(longest)}", headers=headers).status_code == 200, path
        refused = client.get(f"{path}?{_window(longest + 1)}", headers=headers)
        assert refused.status_code == 400 and refused.is_json, path
        body = refused.get_json()
        assert "STATS_MAX_WINDOW_DAYS" in body["errors"]["from"] and "at most 400 days" in body["message"], body
    daily = client.get(f"/stats/daily?{_window(longest)}", headers=headers).get_json()
    assert len(daily["days"]) == longest


def test_admin_and_superadmin_keep_ten_years(client, auth_headers, make_user):
    admin = make_user("ADMIN")
    for headers, scope in ((auth_headers(user=admin), ""),
                           (auth_headers("SUPERADMIN"), f"&organizationId={admin.organization_id}")):
        assert client.get(f"/stats/overview?{_window(MAX_WINDOW_DAYS)}{scope}", headers=headers).status_code == 200
        refused = client.get(f"/stats/overview?{_window(MAX_WINDOW_DAYS + 1)}{scope}", headers=headers)
        assert refused.status_code == 400 and "from" in refused.get_json()["errors"]


def test_stats_max_window_days_sets_the_bound(settings, auth_headers, make_user):
    from api import create_app

    admin = make_user("ADMIN")
    employee = auth_headers("EMPLOYEE", organization=admin.organization)
    app = create_app(settings_with(settings, stats_max_window_days=10))
    try:
        client = app.test_client()
        assert client.get(f"/stats/daily?{_window(10)}", headers=employee).status_code == 200
        refused = client.get(f"/stats/daily?{_window(11)}", headers=employee)
        assert refused.status_code == 400 and "at most 10 days" in refused.get_json()["errors"]["from"]
    finally:
        app.extensions["navai"].engine.dispose()


def _seed_call_log(db, organization_id: int) -> None:  # type: ignore[no-untyped-def]
    """SEEDED_LOG_ROWS calls over the last 20 days: enough for an aggregate to take milliseconds."""
    db.execute(text(
        "INSERT INTO call_log (organization_id, record_id, direction, status, started_at, talk_duration_s,"
        " has_recording, first_seen_at, updated_at)"
        " SELECT :organization, 'r' || n, 'incoming', CASE WHEN n % 3 = 0 THEN 'missed' ELSE 'answered' END,"
        " now() - (n % 1728000) * interval '1 second', n % 300, false, now(), now()"
        " FROM generate_series(1, :rows) AS n"), {"organization": organization_id, "rows": SEEDED_LOG_ROWS})
    db.commit()


def test_a_statistics_query_over_the_timeout_is_a_clear_503_and_the_timeout_ends_with_it(
        settings, auth_headers, make_user, db):
    from api import create_app

    admin = make_user("ADMIN")
    _seed_call_log(db, admin.organization_id)
    headers = auth_headers(user=admin)
    app = create_app(settings_with(settings, stats_statement_timeout_ms=1))
    try:
        client = app.test_client()
        for path in ("/stats/overview", "/stats/employees.xlsx"):
            response = client.get(path, headers=headers)
            assert response.status_code == 503 and response.is_json, (path, response.status_code)
            body = response.get_json()
            assert "STATS_STATEMENT_TIMEOUT_MS" in body["message"] and body["errors"]["timeoutMs"] == 1, body
            assert int(response.headers["Retry-After"]) > 0
        # SET LOCAL: the pooled connection the request used is back to the server's default, so a
        # statement longer than 1 ms runs (a session-level SET would cancel it, and would leak through
        # PgBouncer to other clients).
        with app.extensions["navai"].engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "0"
            connection.execute(text("SELECT pg_sleep(0.05)"))
    finally:
        app.extensions["navai"].engine.dispose()


def test_the_default_timeout_lets_the_same_statistics_through(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    _seed_call_log(db, admin.organization_id)
    response = client.get("/stats/overview", headers=auth_headers(user=admin))
    assert response.status_code == 200 and response.get_json()["calls"] == SEEDED_LOG_ROWS
