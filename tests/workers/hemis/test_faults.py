"""Upstream trouble: transient faults are retried, a dead page is reported, a bad token stops the run,
and drift is detected. HEMIS tasks run on a worker with a 1-second read timeout."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared.models import Student
from tests.support.hemis import assert_matches_simulator, hemis_settings, only_these_workers_on_hemis, wait_for_run

SEED = 3
STUDENTS = 600  # 12 pages of 50


@pytest.fixture
def fast_timeout_worker(settings, worker, extra_workers, celery_app):
    with only_these_workers_on_hemis(celery_app, worker.name):
        yield extra_workers("hemis-faults", settings=hemis_settings(settings, hemis_read_timeout_s=1.0),
                            queues="hemis", concurrency=2)


def run_students(client, headers, app) -> object:
    response = client.post("/api/hemis/sync/students", headers=headers)
    assert response.status_code == 202, response.get_json()
    return wait_for_run(app.extensions["navai"].session_factory, response.get_json()["runId"])


def test_transient_faults_are_retried_and_the_run_completes(hemis, fast_timeout_worker, client, auth_headers, app, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.faults(
        {"path": "student-list", "page": 2, "status": 503, "count": 2},
        {"path": "student-list", "page": 3, "status": 429, "retry_after": "1"},
        {"path": "student-list", "page": 4, "status": 502, "body": "html"},
        {"path": "student-list", "page": 5, "status": 200, "body": "html"},  # nginx page with a 200
        {"path": "student-list", "page": 6, "status": 200, "delay_s": 2.0},  # longer than the read timeout
        {"path": "student-list", "page": 7, "status": 200, "body": "success_false"},
    )
    run = run_students(client, auth_headers("ADMIN"), app)
    assert run.status == "completed", run.errors
    assert run.processed == STUDENTS
    assert_matches_simulator(db, "students", STUDENTS, SEED)
    pages_asked = [r["page"] for r in hemis.requests() if r["path"] == "student-list"]
    for page in (2, 3, 4, 5, 6, 7):
        assert pages_asked.count(page) >= 2, page


def test_a_permanently_failing_page_is_in_errors_while_the_rest_syncs(hemis, fast_timeout_worker, client,
                                                                      auth_headers, app, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.faults({"path": "student-list", "page": 3, "status": 500, "count": -1})
    run = run_students(client, auth_headers("ADMIN"), app)
    assert run.status == "completed_with_errors"
    assert any("page 3 failed" in error and "HTTP 500" in error for error in run.errors), run.errors
    assert run.processed == STUDENTS - 50 and run.failed == 1
    assert db.scalar(select(func.count()).select_from(Student)) == STUDENTS - 50
    assert run.stats["deactivated"] == 0  # an incomplete run never marks anything inactive


def test_a_bad_token_fails_the_run_at_once(hemis, worker, client, auth_headers, app, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(token="another-token")
    headers = auth_headers("ADMIN")  # the only organization: the deployment's HEMIS serves it
    run = run_students(client, headers, app)
    assert run.status == "failed"
    assert any("HTTP 401" in error and "HEMIS_BEARER_TOKEN" in error for error in run.errors), run.errors
    assert len(hemis.requests()) == 1  # no retry of a 401
    assert db.scalar(select(func.count()).select_from(Student)) == 0
    # The lock is released: the next trigger is accepted.
    hemis.config(token=app.extensions["navai"].settings.hemis_bearer_token)
    assert run_students(client, headers, app).status == "completed"


def test_a_bad_token_of_an_organizations_own_hemis_names_its_setting(hemis, worker, client, auth_headers, make_user,
                                                                     app, db, hemis_org):
    """The organization's own HEMIS refuses its token: the error says to fix the organization's
    hemisToken (PATCH /settings), not the deployment's HEMIS_BEARER_TOKEN it does not use."""
    hemis.reset(students=STUDENTS, seed=SEED)
    hemis.config(token="another-token")
    run = run_students(client, auth_headers(user=make_user("ADMIN", organization=hemis_org)), app)
    assert run.status == "failed" and run.organization_id == hemis_org.id
    assert any("HTTP 401" in error and "hemisToken" in error and "HEMIS_BEARER_TOKEN" not in error
               for error in run.errors), run.errors
    assert len(hemis.requests()) == 1 and db.scalar(select(func.count()).select_from(Student)) == 0


def test_drift_is_reported_and_blocks_mark_inactive(hemis, worker, client, auth_headers, app, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    headers = auth_headers("ADMIN")
    assert run_students(client, headers, app).status == "completed"
    # Five new students appear at the front while the next run pages: later pages shift.
    hemis.change("students", prepend=5, after_requests=len(hemis.requests()) + 2)
    run = run_students(client, headers, app)
    assert run.status == "completed_with_errors"
    assert any("differ from totalCount" in error or "totalCount changed" in error for error in run.errors), run.errors
    assert run.stats["deactivated"] == 0


def test_a_page_repeating_the_previous_page_is_detected(hemis, worker, client, auth_headers, app, db):
    hemis.reset(students=STUDENTS, seed=SEED)
    # After page 1, 550 students vanish: pages 2..12 are clamped to the (new) last page, page 1 again.
    hemis.change("students", remove=list(range(50, STUDENTS)), after_requests=2)
    run = run_students(client, auth_headers("ADMIN"), app)
    assert run.status == "completed_with_errors"
    assert any("repeats the ids of page" in error for error in run.errors), run.errors
    assert any("HEMIS answered page 1" in error for error in run.errors), run.errors
