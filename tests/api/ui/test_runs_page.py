"""The runs page in a real browser: Playwright drives Debian's Chromium (no browser download).

Log in, start a HEMIS sync with the page's button, see the run's bar reach 100% and the run listed
as completed; a refused trigger shows the API's message; the page fits a phone screen. Screenshots
are saved under `.artifacts/` (the README's `docs/runs-page.png` is one of them).
"""

from __future__ import annotations

import re

from shared.runs.progress import ProgressStore
from shared.runs.record import create_run, new_run_id
from simulators.hemis.control import SimulatorControl
from tests.api.ui.conftest import UI_WAIT_MS, log_in
from tests.support.hemis import simulator_for, wait_for_run
from tests.support.workers import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / ".artifacts"
PHONE = {"width": 390, "height": 844}
STUDENTS = 1000  # 20 pages of 50
PAGE_LATENCY_MS = 500  # 20 pages on 2 worker processes: the run lasts at least 5 s, over several refreshes


def test_an_admin_starts_a_hemis_sync_and_sees_it_complete(settings, worker, app, live_url, browser, make_user):
    simulator_for(settings)
    hemis = SimulatorControl(settings.hemis_api_url)
    hemis.reset(students=STUDENTS, seed=6)
    hemis.config(token=settings.hemis_bearer_token, latency_ms=PAGE_LATENCY_MS)
    admin = make_user("ADMIN")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log_in(page, live_url, admin.email)
    assert page.is_visible("#actions") and "ADMIN" in page.inner_text("#who-text")

    page.click("#start-hemis-students")
    page.wait_for_selector("#action-message.accepted", timeout=UI_WAIT_MS)
    run_id = re.search(r"Started run (\S+)", page.inner_text("#action-message")).group(1)
    # The page refreshes at once after a start: the run shows as running, with its bar and numbers.
    card = f'#running .run[data-run-id="{run_id}"]'
    page.wait_for_selector(card, timeout=UI_WAIT_MS)
    # A later refresh shows the bar part way, with a rate and an ETA.
    page.wait_for_function("""(card) => {
        const bar = document.querySelector(card + ' .bar');
        const percent = bar ? parseFloat(bar.dataset.percent) : NaN;
        return percent > 0 && percent < 100;
    }""", arg=card, timeout=UI_WAIT_MS)
    assert re.search(r"\d+ of 20 pages", page.inner_text(card)) and "ETA" in page.inner_text(card)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "runs-page-running.png"), full_page=True)
    done_row = f'#finished tr[data-run-id="{run_id}"][data-status="completed"]'
    page.wait_for_selector(done_row, timeout=UI_WAIT_MS)
    assert page.get_attribute(f"{done_row} .bar", "data-percent") == "100"
    assert f"{STUDENTS} / {STUDENTS}" in page.inner_text(done_row)
    assert wait_for_run(app.extensions["navai"].session_factory, run_id).status == "completed"

    page.click("#start-step2")  # no CSV yet: the API's refusal is shown, not swallowed
    page.wait_for_selector("#action-message.refused", timeout=UI_WAIT_MS)
    assert "404: CSV file not found" in page.inner_text("#action-message")
    page.click(f"{done_row} a")
    page.wait_for_selector("#run-record", state="visible")
    assert f'"runId": "{run_id}"' in page.inner_text("#run-record")
    page.wait_for_function("document.querySelector('#workers').textContent.includes('online')", timeout=UI_WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "runs-page.png"), full_page=True)


def test_an_employee_sees_their_running_step2_waiting_on_a_rate_limit_and_the_page_fits_a_phone(
        settings, app, live_url, browser, make_user, db, redis_client):
    employee = make_user("EMPLOYEE")
    run_id = new_run_id()
    create_run(db, run_id, "sipuni_step2", organization_id=employee.organization_id)
    db.commit()
    progress = ProgressStore(redis_client)
    progress.start(run_id, f"sipuni:step2:{employee.organization_id}", {
        "kind": "sipuni_step2", "status": "running", "total": 80, "processed": 30, "skipped": 6, "failed": 2,
        "message": "Waiting for Sipuni rate limit (2 s)"})
    progress.add_error(run_id, "rec-17: HTTP 500 after 3 attempts")

    page = browser.new_page(viewport=PHONE, is_mobile=True)
    log_in(page, live_url, employee.email)
    card = page.wait_for_selector(f'#running .run[data-run-id="{run_id}"]', timeout=UI_WAIT_MS)
    text = card.inner_text()
    assert "38 of 80 calls (47.5%)" in text and "skipped 6" in text and "failed 2" in text
    assert card.query_selector(".waiting").inner_text() == "Waiting for Sipuni rate limit (2 s)"
    assert "rec-17: HTTP 500 after 3 attempts" in card.query_selector(".errors").inner_text()
    assert not page.is_visible("#actions") and not page.is_visible("#queues-box")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "runs-page-phone.png"), full_page=True)
