"""The pages under their security headers in Chromium (issue #18, point 8): "Log out" revokes the
token, the runs page and /docs run under their Content-Security-Policy without one violation and
cannot be framed, /docs keeps no pasted token, and the login form never puts credentials in a URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from shared.runs.progress import ProgressStore
from shared.runs.record import create_run, new_run_id
from tests.api.ui.conftest import UI_WAIT_MS, log_in
from tests.conftest import TEST_PASSWORD

REFRESH_WAIT_MS = 2_500  # a little over one refresh of the runs page (every 2 s)
# Recorded in the page before any of its own scripts: every CSP violation the browser reports.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__violations.push(event.violatedDirective + " " + event.blockedURI));
"""


class Violations:
    """CSP violations of a page: the DOM events, and Chromium's console reports of them."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", lambda message: self.console.append(message.text))

    def all(self) -> list[str]:
        events = self.page.evaluate("window.__violations || []")
        return events + [text for text in self.console if "Content Security Policy" in text]


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_log_out_revokes_the_token_before_forgetting_it(live_url, page, make_user):
    admin = make_user("ADMIN")
    log_in(page, live_url, admin.email)
    token = page.evaluate("sessionStorage.getItem('navai.token')")
    assert token and requests.get(live_url + "/runs", headers=_bearer(token), timeout=30).status_code == 200

    with page.expect_response(lambda r: r.url == live_url + "/auth/logout") as logout:
        page.click("#logout")
    assert logout.value.request.method == "POST" and logout.value.status == 200
    assert logout.value.request.headers["authorization"] == f"Bearer {token}"
    page.wait_for_selector("#login-section", state="visible", timeout=UI_WAIT_MS)
    assert page.evaluate("sessionStorage.length") == 0
    # The token someone may have copied is dead on the server, not only forgotten by the page.
    old = requests.get(live_url + "/runs", headers=_bearer(token), timeout=30)
    assert old.status_code == 401, old.text


def test_the_runs_page_works_under_its_policy_without_a_violation(live_url, page, make_user, db, redis_client):
    admin = make_user("ADMIN")
    run_id = new_run_id()
    create_run(db, run_id, "sipuni_step2", organization_id=admin.organization_id)
    db.commit()
    ProgressStore(redis_client).start(run_id, f"sipuni:step2:{admin.organization_id}", {
        "kind": "sipuni_step2", "status": "running", "total": 80, "processed": 30, "skipped": 6, "failed": 2})
    violations = Violations(page)
    log_in(page, live_url, admin.email)
    card = page.wait_for_selector(f'#running .run[data-run-id="{run_id}"]', timeout=UI_WAIT_MS)
    assert "38 of 80 calls (47.5%)" in card.inner_text()
    # The bar's width is set from the script (allowed); the page's refresh goes on under the policy.
    assert page.evaluate(f"""document.querySelector('[data-run-id="{run_id}"] .bar > span').style.width""") \
        == "47.5%"
    page.wait_for_timeout(REFRESH_WAIT_MS)
    page.wait_for_function("document.querySelector('#workers').textContent.includes('online')", timeout=UI_WAIT_MS)
    assert violations.all() == []

    # The policy is in force: a script slipped into the page is refused, and reported.
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__injected = true"; document.body.append(s); }""")
    assert page.evaluate("window.__injected === undefined")
    assert any("script-src" in violation for violation in violations.all())


def test_docs_work_under_the_policy_and_keep_no_pasted_token(live_url, page, make_user):
    violations = Violations(page)
    page.goto(live_url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=UI_WAIT_MS)
    token = "pasted-" + "x" * 40
    page.click(".swagger-ui .auth-wrapper .authorize")
    bearer = page.locator(".auth-container", has=page.locator("h4", has_text="bearerAuth"))
    bearer.locator("input").fill(token)
    bearer.locator("button.authorize").click()
    page.click(".swagger-ui .dialog-ux .close-modal")
    assert page.evaluate("window.ui.authSelectors.authorized().has('bearerAuth')")  # Swagger UI took it
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert token not in stored and "authorized" not in stored, stored

    page.reload()
    page.wait_for_selector(".swagger-ui .opblock", timeout=UI_WAIT_MS)
    assert not page.evaluate("window.ui.authSelectors.authorized().has('bearerAuth')")
    assert violations.all() == []


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_no_other_site_can_frame_the_pages(live_url, page, path):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.set_content(f'<iframe id="framed" src="{live_url}{path}"></iframe>')
    page.wait_for_function("() => window.frames.length === 1")
    page.wait_for_timeout(1_000)
    framed = page.frames[1]
    assert framed.query_selector("#login-form, #swagger-ui") is None  # nothing of ours drawn in the frame
    assert any("frame-ancestors" in text for text in console), console


def test_the_login_form_with_javascript_off_puts_no_credentials_in_a_url(browser, live_url, make_user):
    admin = make_user("ADMIN")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sent: list[tuple[str, str, str]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data or "")))
    page.goto(live_url + "/")
    page.fill("#email", admin.email)
    page.fill("#password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("#login-button")
    assert TEST_PASSWORD not in page.url and "password" not in page.url
    assert all(TEST_PASSWORD not in url and "password=" not in url for _, url, _ in sent), sent
    # It went in a POST body, to the page itself, which refuses it.
    assert [method for method, url, body in sent if TEST_PASSWORD in body] == ["POST"]
    context.close()
