"""`GET /runs` and `GET /overview`, what the runs page polls: scoping by role, live progress numbers."""

from __future__ import annotations

import time
from datetime import timedelta

from shared.hemis.names import progress_scope
from shared.models import Call, Organization, utcnow
from shared.runs.progress import ProgressStore
from shared.runs.record import create_run, finish_run, new_run_id


def _finished(db, kind: str, organization_id: int | None, *, processed: int = 10, minutes_ago: int = 5) -> str:
    run_id = new_run_id()
    run = create_run(db, run_id, kind, organization_id=organization_id)
    run.started_at = utcnow() - timedelta(minutes=minutes_ago, seconds=30)
    finish_run(db, run_id, "completed", total=processed, processed=processed,
               finished_at=utcnow() - timedelta(minutes=minutes_ago))
    db.commit()
    return run_id


def _ids(body: dict, section: str) -> set[str]:
    return {run["runId"] for run in body[section]}


def test_each_role_sees_only_what_the_api_lets_it_see(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    other_admin = make_user("ADMIN")
    employee = make_user("EMPLOYEE", organization=db.get(Organization, admin.organization_id))
    own = _finished(db, "sipuni_step2", admin.organization_id)
    foreign = _finished(db, "sipuni_step2", other_admin.organization_id)
    hemis = _finished(db, "hemis_students", admin.organization_id)  # each organization syncs its own HEMIS
    lookup = _finished(db, "hemis_departments", admin.organization_id)
    foreign_hemis = _finished(db, "hemis_students", other_admin.organization_id)
    legacy = _finished(db, "hemis_employees", None)  # recorded before HEMIS was per organization

    as_admin = client.get("/runs", headers=auth_headers(user=admin)).get_json()
    assert _ids(as_admin, "finished") == {own, hemis, lookup}
    as_employee = client.get("/runs", headers=auth_headers(user=employee)).get_json()
    assert _ids(as_employee, "finished") == {own}  # no HEMIS runs, no other organization
    as_super = client.get("/runs", headers=auth_headers("SUPERADMIN")).get_json()
    assert _ids(as_super, "finished") == {own, foreign, hemis, lookup, foreign_hemis, legacy}
    assert client.get("/runs").status_code == 401


def test_finished_runs_are_the_latest_twenty_newest_first_with_duration_and_totals(client, auth_headers, db):
    run_ids = [_finished(db, "hemis_students", None, processed=n, minutes_ago=60 - n) for n in range(25)]
    body = client.get("/runs", headers=auth_headers("SUPERADMIN")).get_json()
    assert [run["runId"] for run in body["finished"]] == list(reversed(run_ids))[:20]
    newest = body["finished"][0]
    assert newest["status"] == "completed" and newest["duration"] == 30_000
    assert newest["progress"]["records"] == 24 and newest["progress"]["percent"] == 100.0
    assert client.get("/runs?limit=0", headers=auth_headers("SUPERADMIN")).status_code == 400


def test_a_running_run_shows_rate_eta_counts_errors_and_a_rate_limit_wait(client, auth_headers, make_user, db,
                                                                          redis_client):
    admin = make_user("ADMIN")
    run_id = new_run_id()
    run = create_run(db, run_id, "hemis_students", organization_id=admin.organization_id)
    run.started_at = utcnow() - timedelta(seconds=10)
    db.commit()
    progress = ProgressStore(redis_client)
    progress.start(run_id, progress_scope(admin.organization_id, "students"), {
        "kind": "students", "status": "running", "startTime": int(time.time() * 1000) - 10_000,
        "totalRecords": 500, "processedRecords": 200, "pagesDone": 4, "pagesTotal": 10, "failedPages": 1,
        "message": "Waiting for HEMIS rate limit (3 s)"})
    progress.add_error(run_id, "page 3 failed: HTTP 500")

    body = client.get("/runs", headers=auth_headers(user=admin)).get_json()
    [shown] = body["running"]
    numbers = shown["progress"]
    assert (numbers["unit"], numbers["done"], numbers["total"], numbers["percent"]) == ("pages", 4, 10, 40.0)
    assert (numbers["records"], numbers["recordsTotal"], numbers["failed"]) == (200, 500, 1)
    assert 0.2 <= numbers["ratePerS"] <= 0.5  # 4 pages in ~10 s (generous: the clock moves)
    assert 10 <= numbers["etaS"] <= 30
    assert numbers["latestErrors"] == ["page 3 failed: HTTP 500"]
    assert numbers["waitingOnRateLimit"] is True and numbers["message"].startswith("Waiting for HEMIS")


def test_overview_counts_ai_calls_in_scope_and_shows_queues_to_admins_only(client, auth_headers, make_user, db):
    admin = make_user("ADMIN")
    organization = db.get(Organization, admin.organization_id)
    employee = make_user("EMPLOYEE", organization=organization)
    stranger = make_user("ADMIN")
    for number, (owner, status) in enumerate([(employee, "done"), (employee, "pending"), (admin, "done"),
                                              (stranger, "failed")]):
        db.add(Call(organization_id=owner.organization_id, employee_id=owner.id, external_id=f"r{number}",
                    ai_status=status, raw={}))
    db.commit()

    as_admin = client.get("/overview", headers=auth_headers(user=admin)).get_json()
    assert as_admin["aiCalls"]["done"] == 2 and as_admin["aiCalls"]["pending"] == 1
    assert as_admin["aiCalls"]["failed"] == 0  # the other organization's call
    assert set(as_admin["queues"]) == {"default", "hemis", "sipuni", "recordings", "ai"}
    assert isinstance(as_admin["workersOnline"], int) and "workers" not in as_admin  # names: SUPERADMIN only
    as_employee = client.get("/overview", headers=auth_headers(user=employee)).get_json()
    assert as_employee["aiCalls"]["done"] == 1 and as_employee["aiCalls"]["pending"] == 1
    assert "queues" not in as_employee and "workers" not in as_employee


def test_the_page_is_served_with_a_login_form_and_a_phone_viewport(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.data.decode()
    assert 'id="login-form"' in html and 'name="viewport"' in html and "/ui/app.js" in html
    script = client.get("/ui/app.js")
    assert script.status_code == 200 and b"REFRESH_MS = 2000" in script.data


def test_a_failed_run_with_nothing_counted_shows_an_empty_bar(client, auth_headers, db):
    run_id = new_run_id()
    create_run(db, run_id, "hemis_student")
    finish_run(db, run_id, "failed", total=0, processed=0, errors=["HEMIS has no student with id number 7"])
    db.commit()
    # As a SUPERADMIN: an ADMIN sees a lookup's errors only when a user of their organization made it.
    [shown] = client.get("/runs", headers=auth_headers("SUPERADMIN")).get_json()["finished"]
    assert shown["status"] == "failed" and shown["progress"]["percent"] == 0.0
    assert shown["progress"]["latestErrors"] == ["HEMIS has no student with id number 7"]
