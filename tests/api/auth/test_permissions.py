"""The permission matrix: ADMIN, MANAGER, EMPLOYEE, and a user of another organization.

A MANAGER reads every call and statistic of its organization but starts and changes nothing; an
EMPLOYEE reads only their own calls and figures; nobody reaches another organization's data.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from shared.models import CallLogEntry, Organization
from tests.support.calls import make_call

# Mutating routes that are not role-gated: login takes no token, the webhook takes its API key.
UNGATED_PREFIXES = ("/auth/", "/sipuni-integration")
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
ORGANIZATION_READS = ("/users", "/sipuni/progress", "/sipuni/csv", "/calls",
                      "/stats/overview", "/stats/employees", "/stats/daily", "/stats/criteria",
                      "/stats/employees.csv", "/stats/employees.xlsx")
EVERYONE_READS = ("/calls", "/stats/overview", "/stats/employees", "/stats/daily", "/stats/criteria",
                  "/stats/employees.csv", "/stats/employees.xlsx", "/criteria", "/organizations", "/auth/me")
ADMIN_ONLY_READS = ("/settings", "/api/hemis/progress/students")  # HEMIS is the deployment's, not the organization's


def _concrete(rule: str) -> str:
    """A path for a rule: every <converter:name> becomes a plausible value."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "students" if m.group(1) == "kind" else "1", rule)


def _mutating_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(UNGATED_PREFIXES):
            continue
        for method in sorted((rule.methods or set()) & MUTATING):
            routes.append((method, _concrete(rule.rule)))
    return routes


@pytest.mark.parametrize("role", ["MANAGER", "EMPLOYEE"])
def test_manager_and_employee_can_start_or_change_nothing(app, client, auth_headers, role):
    headers = auth_headers(role)
    routes = _mutating_routes(app)
    assert ("POST", "/users") in routes and ("PATCH", "/settings") in routes and len(routes) >= 12
    for method, path in routes:
        response = client.open(path, method=method, json={}, headers=headers)
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.get_json()["success"] is False


def test_what_each_role_may_read(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    organization = db.get(Organization, admin.organization_id)
    by_role = {role: auth_headers(user=make_user(role, organization=organization, ext_code=ext))
               for role, ext in (("ADMIN", None), ("MANAGER", None), ("EMPLOYEE", "201"))}
    for path in EVERYONE_READS:
        for role, headers in by_role.items():
            assert client.get(path, headers=headers).status_code == 200, (role, path)
    for path in ORGANIZATION_READS:
        assert client.get(path, headers=by_role["MANAGER"]).status_code not in (401, 403), path
    for path in set(ORGANIZATION_READS) - set(EVERYONE_READS):
        assert client.get(path, headers=by_role["EMPLOYEE"]).status_code == 403, path
    for path in ADMIN_ONLY_READS:
        assert client.get(path, headers=by_role["ADMIN"]).status_code == 200
        assert client.get(path, headers=by_role["MANAGER"]).status_code == 403
        assert client.get(path, headers=by_role["EMPLOYEE"]).status_code == 403


def test_manager_sees_all_calls_an_employee_only_their_own(client, auth_headers, make_user, db, settings):
    admin = make_user("ADMIN")
    organization = db.get(Organization, admin.organization_id)
    alice, bob = (make_user("EMPLOYEE", organization=organization, ext_code=ext) for ext in ("201", "202"))
    for employee in (alice, bob, bob):
        make_call(db, settings, organization.id, employee, with_audio=False)
    manager = auth_headers(user=make_user("MANAGER", organization=organization))
    assert client.get("/calls", headers=manager).get_json()["total"] == 3
    assert client.get("/calls", headers=auth_headers(user=alice)).get_json()["total"] == 1
    assert client.get(f"/calls?employeeId={bob.id}", headers=auth_headers(user=alice)).status_code == 403


def test_another_organization_sees_and_touches_nothing(client, auth_headers, make_user, db, settings):
    admin_a = make_user("ADMIN")
    org_a = db.get(Organization, admin_a.organization_id)
    employee_a = make_user("EMPLOYEE", organization=org_a, ext_code="201")
    call = make_call(db, settings, org_a.id, employee_a, with_audio=False, logged=False)  # the one call-log row is below
    db.add(CallLogEntry(organization_id=org_a.id, record_id="1759740560.1", status="answered",
                        direction="incoming", started_at=datetime.now(timezone.utc), employee_id=employee_a.id,
                        ext_code="201", talk_duration_s=42, has_recording=True))
    db.commit()
    admin_b = make_user("ADMIN")
    own = auth_headers(user=admin_a)
    other = auth_headers(user=admin_b)
    assert client.get("/stats/overview", headers=own).get_json()["calls"] == 1
    foreign = client.get(f"/stats/overview?organizationId={org_a.id}", headers=other).get_json()
    assert foreign["organizationId"] == admin_b.organization_id and foreign["calls"] == 0
    assert client.get(f"/calls/{call.id}", headers=other).status_code == 404
    assert client.get(f"/organizations/{org_a.id}", headers=other).status_code == 404
    assert [org["id"] for org in client.get("/organizations", headers=other).get_json()["organizations"]] == \
        [admin_b.organization_id]
    assert client.patch(f"/users/{employee_a.id}", json={"extCode": "299"}, headers=other).status_code == 404
    assert client.delete(f"/users/{employee_a.id}", headers=other).status_code == 404
    assert client.get(f"/stats/daily?employeeId={employee_a.id}", headers=other).status_code == 404
    assert employee_a.id not in [u["id"] for u in client.get("/users", headers=other).get_json()["users"]]
    db.expire_all()
    assert db.get(type(employee_a), employee_a.id).ext_code == "201"
