"""The runs page's Cancel button, in a real browser: an ADMIN cancels a running run, which is then
listed as `cancelled`; an EMPLOYEE has no such button."""

from __future__ import annotations

from shared.runs.locks import RunLock
from shared.runs.progress import ProgressStore
from shared.runs.record import create_run, new_run_id
from tests.api.ui.conftest import UI_WAIT_MS, log_in


def test_an_admin_cancels_a_running_run_from_the_page_and_an_employee_cannot(
        settings, app, live_url, browser, make_user, db, redis_client):
    admin = make_user("ADMIN")
    employee = make_user("EMPLOYEE", organization=admin.organization)
    run_id = new_run_id()  # a step 2 going on (no worker here: the page is what is tested)
    create_run(db, run_id, "sipuni_step2", organization_id=admin.organization_id)
    db.commit()
    scope = f"sipuni:step2:{admin.organization_id}"
    ProgressStore(redis_client).start(run_id, scope, {"kind": "sipuni_step2", "status": "running", "total": 40,
                                                      "processed": 12})
    assert RunLock(redis_client, scope).acquire(run_id) is None
    card = f'#running .run[data-run-id="{run_id}"]'

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    log_in(page, live_url, employee.email)
    page.wait_for_selector(card, timeout=UI_WAIT_MS)
    assert page.query_selector(f"{card} button.cancel-run") is None
    page.close()

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())  # "Cancel run …?"
    log_in(page, live_url, admin.email)
    page.click(f'{card} button[data-cancel="{run_id}"]', timeout=UI_WAIT_MS)
    page.wait_for_selector("#action-message.accepted", timeout=UI_WAIT_MS)
    assert page.inner_text("#action-message") == f"Cancelled run {run_id}"
    row = page.wait_for_selector(f'#finished tr[data-run-id="{run_id}"][data-status="cancelled"]',
                                 timeout=UI_WAIT_MS)
    assert "cancelled" in row.inner_text() and "12 / 40" in row.inner_text()
    assert page.query_selector(card) is None
    assert RunLock(redis_client, scope).holder() is None
