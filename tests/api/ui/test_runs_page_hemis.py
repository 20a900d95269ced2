"""The runs page's HEMIS section in Chromium (issue #20, point 7): an ADMIN of a university with its
own HEMIS checks the token, starts a lookup-list sync and sees its run named and owned, cancels a
running students sync; a SUPERADMIN acts for an organization by its id. All under the page's
Content-Security-Policy, without one violation, and never showing a token."""

from __future__ import annotations

import pytest

from shared.models import Organization, SyncRun
from shared.runs.record import create_run, new_run_id
from simulators.hemis.control import SimulatorControl
from tests.api.ui.conftest import UI_WAIT_MS, log_in
from tests.api.ui.test_browser_security import Violations
from tests.support.hemis import fresh_simulator, wait_for_run
from tests.support.workers import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / ".artifacts"  # screenshots, as tests/api/ui/test_runs_page.py saves them
STUDENTS = 1000  # 20 pages of 50
PAGE_LATENCY_MS = 500  # 20 pages on 2 worker processes: the students run lasts at least 5 s
RATE_LIMIT = 1000  # requests a minute: HEMIS's headers are shown; the runs never wait on it
PHONE = {"width": 390, "height": 844}
HEMIS_KINDS_SHOWN = ("students", "employees", "departments", "specialties", "groups", "semesters", "all")


@pytest.fixture
def hemis(settings) -> SimulatorControl:  # type: ignore[no-untyped-def]
    """The session's simulator (the HEMIS of `hemis_org`), fast, behind Yii2's rate limiter."""
    control = fresh_simulator(settings, students=STUDENTS, seed=9)
    control.rate_limit(limit=RATE_LIMIT, window_s=60)
    return control


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Cancel run …?"
    yield page
    context.close()


@pytest.fixture
def other_run(db) -> str:  # type: ignore[no-untyped-def]
    """A finished HEMIS run of another university, which the ADMIN must not see."""
    other = Organization(name="Another university")
    db.add(other)
    db.flush()
    run_id = new_run_id()
    create_run(db, run_id, "hemis_students", organization_id=other.id)
    db.get(SyncRun, run_id).status = "completed"
    db.commit()
    return run_id


def test_an_admin_checks_hemis_syncs_a_lookup_list_and_cancels_a_students_sync(
        hemis, hemis_org, other_run, worker, app, live_url, page, make_user, settings, db):
    admin = make_user("ADMIN", organization=hemis_org)
    violations = Violations(page)
    log_in(page, live_url, admin.email)
    for kind in HEMIS_KINDS_SHOWN:
        assert page.is_visible(f'#hemis-actions button[data-hemis-kind="{kind}"]')
    assert not page.is_visible("#org-label")  # an ADMIN acts for their own organization only

    page.click("#check-hemis")
    page.wait_for_selector("#hemis-check.accepted", timeout=UI_WAIT_MS)
    line = page.inner_text("#hemis-check")
    assert line.startswith("ok · ") and f"{STUDENTS} students" in line, line
    assert f"rate limit {RATE_LIMIT} ({RATE_LIMIT - 1} left" in line, line

    page.click("#start-hemis-departments")
    departments = _started_run(page)
    done_row = f'#finished tr[data-run-id="{departments}"][data-status="completed"]'
    page.wait_for_selector(done_row, timeout=UI_WAIT_MS)
    assert page.get_attribute(done_row, "data-organization-id") == str(hemis_org.id)
    row = page.inner_text(done_row)
    assert "HEMIS departments" in row and f"Organization {hemis_org.id}" in row, row
    assert db.get(SyncRun, departments).organization_id == hemis_org.id

    hemis.config(latency_ms=PAGE_LATENCY_MS)
    page.click("#start-hemis-students")
    students = _started_run(page)
    card = f'#running .run[data-run-id="{students}"]'
    page.wait_for_selector(card, timeout=UI_WAIT_MS)
    assert page.inner_text(f"{card} .run-kind") == "HEMIS students"
    assert page.inner_text(f"{card} .run-org") == f"Organization {hemis_org.id}"
    page.screenshot(path=str(ARTIFACTS / "runs-page-hemis.png"), full_page=True)
    page.click(f'{card} button[data-cancel="{students}"]', timeout=UI_WAIT_MS)
    page.wait_for_selector(f'#action-message.accepted:text-is("Cancelled run {students}")', timeout=UI_WAIT_MS)
    page.wait_for_selector(f'#finished tr[data-run-id="{students}"][data-status="cancelled"]', timeout=UI_WAIT_MS)
    assert page.query_selector(card) is None
    db.expire_all()
    assert db.get(SyncRun, students).status == "cancelled"

    hemis_org.hemis_token = "a-token-this-hemis-refuses-" + "y" * 12
    db.commit()
    page.click("#check-hemis")
    page.wait_for_selector('#hemis-check.refused[data-reason="unauthorized"]', timeout=UI_WAIT_MS)
    assert page.inner_text("#hemis-check").startswith("unauthorized · ")

    content = page.content()
    assert settings.hemis_bearer_token not in content and hemis_org.hemis_token not in content
    assert page.query_selector(f'[data-run-id="{other_run}"]') is None  # another university's run
    assert violations.all() == []
    hemis.config(latency_ms=0)  # what the cancelled run had in flight ends quickly


def test_a_superadmin_acts_for_the_organization_it_names(hemis, hemis_org, worker, app, live_url, page, make_user):
    superadmin = make_user("SUPERADMIN")
    violations = Violations(page)
    page.set_viewport_size(PHONE)
    log_in(page, live_url, superadmin.email)
    assert page.is_visible("#org-label")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits a phone

    page.click("#check-hemis")  # a SUPERADMIN belongs to no organization: it must name one
    page.wait_for_selector("#hemis-check.refused", timeout=UI_WAIT_MS)
    assert page.inner_text("#hemis-check").startswith("400: ")

    page.fill("#organization-id", str(hemis_org.id))
    page.click("#check-hemis")
    page.wait_for_selector('#hemis-check.accepted[data-reason="ok"]', timeout=UI_WAIT_MS)

    page.click("#start-hemis-semesters")
    run_id = _started_run(page)
    row = f'#finished tr[data-run-id="{run_id}"][data-status="completed"]'
    page.wait_for_selector(row, timeout=UI_WAIT_MS)
    assert "HEMIS semesters" in page.inner_text(row) and f"Organization {hemis_org.id}" in page.inner_text(row)
    assert wait_for_run(app.extensions["navai"].session_factory, run_id).organization_id == hemis_org.id
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "runs-page-hemis-phone.png"), full_page=True)
    assert violations.all() == []


def _started_run(page) -> str:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#action-message.accepted", timeout=UI_WAIT_MS)
    text = page.inner_text("#action-message")
    assert text.startswith("Started run "), text
    return text.removeprefix("Started run ")
