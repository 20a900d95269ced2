"""The dashboard (`/dashboard`) in a real browser: Playwright drives Debian's Chromium.

The organization's call log and scored calls are stored by the test (today, yesterday up to the same
time, and ten earlier days), so every figure is known: the page shows the API's figures and they are
the test's; the period picker, the sortable employees table, the worklist of missed calls nobody
called back and the playback of a recording (fetched with the token into a blob: URL) work under the
page's Content-Security-Policy; an EMPLOYEE sees their own figures, on a phone screen without
sideways scrolling. Screenshots go to `.artifacts/` (the README's `docs/dashboard.png` is one).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from shared.models import Call, CallLogEntry, Organization, User
from tests.api.ui.conftest import UI_WAIT_MS, log_in
from tests.api.ui.test_browser_security import Violations
from tests.conftest import TEST_PASSWORD
from tests.support.calls import write_wav
from tests.support.workers import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / ".artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIME_ZONE = "Asia/Tashkent"
RECORDING_S = 2.0
EARLIER_DAYS = range(2, 12)  # background history for the charts: never today or yesterday
RECORD_NUMBERS = itertools.count(1)  # Sipuni's "ID записи" of the stored calls


@dataclass
class Seeded:
    organization: Organization
    admin: User
    employees: list[User]  # Aziza (ext 201), Bekzod (202), Dilnoza (203)
    waiting_recorded: str  # record id of today's missed call nobody called back, with a recording
    waiting_plain: str  # the same, without a recording
    called_back: str  # a missed call that was called back: not on the worklist


def _add(db, settings, organization: Organization, employee: User, at: datetime, status: str, *,  # type: ignore[no-untyped-def]
         score: float | None = None, callback: str | None = None, recording: bool = False) -> str:
    """One exported call (its call-log row), stored with a score or a recording when given one."""
    record_id = f"rec-{next(RECORD_NUMBERS)}"
    missed = status == "missed"
    db.add(CallLogEntry(organization_id=organization.id, record_id=record_id, direction="incoming", status=status,
                        started_at=at, ext_code=employee.ext_code, employee_id=employee.id,
                        from_number=f"+99890{at.minute:02d}{at.second:02d}{len(record_id):03d}",
                        to_number=employee.ext_code, call_duration_s=30 if missed else 200,
                        talk_duration_s=0 if missed else 170, has_recording=recording,
                        callback_state=callback if missed else None))
    if score is not None or recording:
        path = f"recordings/{organization.id}/{record_id}.wav"
        if recording:
            write_wav(Path(settings.data_dir) / path, RECORDING_S)
        db.add(Call(organization_id=organization.id, employee_id=employee.id, external_id=record_id,
                    direction="incoming", status=status, started_at=at, from_number="+998901234567",
                    to_number=employee.ext_code, recording_path=path if recording else None,
                    ai_status="done" if score is not None else "pending", overall_score=score,
                    score_max=10 if score is not None else None, raw={}))
    db.flush()
    return record_id


@pytest.fixture
def seeded(db, settings, make_user) -> Seeded:  # type: ignore[no-untyped-def]
    admin = make_user("ADMIN")
    organization = db.get(Organization, admin.organization_id)
    organization.time_zone = TIME_ZONE
    names = ("Aziza Karimova", "Bekzod Tursunov", "Dilnoza Rahimova")
    employees = [make_user("EMPLOYEE", organization=organization, ext_code=str(201 + i)) for i in range(3)]
    for user, name in zip(employees, names, strict=True):
        user.full_name = name
    aziza, bekzod, dilnoza = employees
    # "today" is midnight up to now, compared with yesterday up to the same time: calls at a part
    # of the time elapsed today fall in both windows whatever the hour the test runs.
    now = datetime.now(ZoneInfo(TIME_ZONE))
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = now - midnight

    def today(part: float) -> datetime:
        return (midnight + elapsed * part).astimezone(UTC)

    def yesterday(part: float) -> datetime:
        return (midnight - timedelta(days=1) + elapsed * part).astimezone(UTC)

    add = functools.partial(_add, db, settings, organization)
    for part, value in ((.10, 9), (.20, 8), (.30, 10)):
        add(aziza, today(part), "answered", score=value)
    add(bekzod, today(.15), "answered", score=4)
    add(bekzod, today(.25), "answered", score=6)
    waiting_recorded = add(bekzod, today(.50), "missed", callback="none", recording=True)
    called_back = add(bekzod, today(.40), "missed", callback="called_back")
    add(dilnoza, today(.35), "answered")
    waiting_plain = add(dilnoza, today(.45), "missed", callback="none")
    add(aziza, yesterday(.2), "answered", score=6)
    add(aziza, yesterday(.4), "answered", score=7)
    add(aziza, yesterday(.6), "missed", callback="tried")
    for days_ago in EARLIER_DAYS:  # a varied history, so the charts have a shape
        day = midnight - timedelta(days=days_ago) + timedelta(hours=9)
        for i in range(4 + days_ago * 3 % 5):
            add(employees[i % 3], (day + timedelta(minutes=17 * i)).astimezone(UTC), "answered",
                score=float(3 + (days_ago + 2 * i) % 8))
        for i in range(1 + days_ago % 3):
            add(employees[i % 3], (day + timedelta(hours=4, minutes=9 * i)).astimezone(UTC), "missed",
                callback="none" if i == 0 else "called_back")
    db.commit()
    return Seeded(organization, admin, employees, waiting_recorded, waiting_plain, called_back)


# Today's figures as the test stored them, and the change from yesterday up to the same time.
TODAY = {"calls": 9, "answered": 6, "missed": 3, "scoredCalls": 5, "avgScore": 7.4}
YESTERDAY = {"calls": 3, "answered": 2, "missed": 1, "scoredCalls": 2, "avgScore": 6.5}


def _token(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("sessionStorage.getItem('navai.token')")


def _api(live_url: str, token: str, path: str) -> dict:
    response = requests.get(live_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _open(page, live_url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """Log in with the dashboard's own form and wait for the first period to be drawn."""
    page.goto(live_url + "/dashboard")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("body[data-loaded='today']", timeout=UI_WAIT_MS)


def _card(page, field: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A card's raw value and its visible text."""
    card = page.locator(f"#figures .figure[data-field='{field}']")
    return card.get_attribute("data-value"), card.inner_text()


def _column(page, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(f"#employees tbody td[data-key='{key}']", "cells => cells.map(c => c.textContent)")


def _choose(page, period: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"#periods button[data-period='{period}']")
    page.wait_for_selector(f"body[data-loaded='{period}']:not(.loading)", timeout=UI_WAIT_MS)


def test_a_manager_reads_the_figures_charts_employees_and_worklist_and_plays_a_recording(
        live_url, browser, seeded):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    violations = Violations(page)
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    _open(page, live_url, seeded.admin.email)
    token = _token(page)

    # The overview: the API's figures, which are the stored ones, with the change from yesterday.
    api = _api(live_url, token, "/stats/overview?period=today")
    assert {key: api[key] for key in TODAY} == TODAY
    assert {key: api["previous"][key] for key in YESTERDAY} == YESTERDAY
    for field in ("calls", "answered", "missed", "scoredCalls", "avgScore", "talkTimeS", "violations"):
        assert _card(page, field)[0] == ("" if api[field] is None else str(api[field])), field
    assert _card(page, "calls")[1].splitlines()[:3] == ["Calls", "9", "+6 (+200 %)"]
    assert "before: 3" in _card(page, "calls")[1]
    assert page.locator("#figures [data-field='missed'] .change").get_attribute("class") == "change up bad"
    assert page.locator("#figures [data-field='avgScore'] .change").get_attribute("class") == "change up good"
    assert "7.4" in _card(page, "avgScore")[1] and "+0.9" in _card(page, "avgScore")[1]

    # The charts: a bar per day (at least a week) and the day's average score, as /stats/daily says.
    daily = _api(live_url, token, f"/stats/daily?from={api['to']}&to={api['to']}")["days"][0]
    bar = page.locator(f"#calls-chart g.day[data-date='{api['to']}']")
    assert (bar.get_attribute("data-answered"), bar.get_attribute("data-missed")) == ("6", "3") \
        == (str(daily["answered"]), str(daily["missed"]))
    assert page.locator("#calls-chart g.day").count() == 7
    assert page.locator(f"#score-chart circle[data-date='{api['to']}']").get_attribute("data-score") == "7.4"

    # The employees table: the API's order (most calls first), then sorted by a click on a title.
    assert _column(page, "name") == ["Bekzod Tursunov", "Aziza Karimova", "Dilnoza Rahimova"]
    page.click("#employees th[data-key='avgScore'] button")
    assert _column(page, "name") == ["Aziza Karimova", "Bekzod Tursunov", "Dilnoza Rahimova"]
    assert _column(page, "avgScore") == ["9", "5", "–"]
    assert page.get_attribute("#employees th[data-key='avgScore']", "aria-sort") == "descending"
    assert page.get_attribute("#employees tbody td[data-key='avgScore'] >> nth=0", "class") == "num score-good"
    page.click("#employees th[data-key='avgScore'] button")
    assert _column(page, "avgScore") == ["5", "9", "–"]  # reversed; no score stays last
    page.click("#employees th[data-key='name'] button")
    assert _column(page, "name") == ["Aziza Karimova", "Bekzod Tursunov", "Dilnoza Rahimova"]

    # The worklist: missed calls nobody called back (today's two and the earlier days' ones).
    listed = page.eval_on_selector_all("#worklist tbody tr", "rows => rows.map(r => r.dataset.externalId)")
    worklist = _api(live_url, token, "/calls?status=missed&callback=none&limit=20")
    assert listed == [call["externalId"] for call in worklist["calls"]]
    assert listed[:2] == [seeded.waiting_recorded, seeded.waiting_plain] and seeded.called_back not in listed
    assert page.inner_text("#worklist-total") == f"({worklist['total']})" == f"({2 + len(EARLIER_DAYS)})"
    assert page.locator(f"#worklist tr[data-external-id='{seeded.waiting_plain}'] button.play").count() == 0

    # Playback: the recording fetched with the token, played from a blob: URL.
    page.click(f"#worklist tr[data-external-id='{seeded.waiting_recorded}'] button.play")
    audio = f"#worklist tr[data-external-id='{seeded.waiting_recorded}'] audio"
    page.wait_for_function("(selector) => { const a = document.querySelector(selector);"
                           " return !!a && a.readyState >= 1 && a.duration > 0; }", arg=audio, timeout=UI_WAIT_MS)
    assert page.get_attribute(audio, "src").startswith("blob:")
    assert page.eval_on_selector(audio, "a => a.duration") == pytest.approx(RECORDING_S, abs=0.1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # Another period: the week's figures as the API gives them, the choice kept in the address.
    _choose(page, "week")
    week = _api(live_url, token, "/stats/overview?period=week")
    assert week["calls"] >= TODAY["calls"] and _card(page, "calls")[0] == str(week["calls"])
    assert _card(page, "answered")[0] == str(week["answered"])
    assert page.get_attribute("#periods button[data-period='week']", "aria-pressed") == "true"
    assert page.url.endswith("/dashboard#week")
    assert page.locator(audio).count() == 1  # another period leaves the worklist, and its player, alone
    assert page.locator("#calls-chart g.day").count() == max(7, len(_api(
        live_url, token, "/stats/daily?period=week")["days"]))
    page.screenshot(path=str(ARTIFACTS / "dashboard-week.png"), full_page=True)

    assert violations.all() == []
    assert token and not [url for url in urls if token in url or TEST_PASSWORD in url]
    with page.expect_response(lambda r: r.url == live_url + "/auth/logout") as logout:
        page.click("#logout")
    assert logout.value.request.method == "POST" and logout.value.status == 200
    page.wait_for_selector("#login-section", state="visible", timeout=UI_WAIT_MS)
    assert page.evaluate("sessionStorage.length") == 0
    context.close()


def test_an_employee_signed_in_on_the_runs_page_sees_their_own_figures_on_a_phone(live_url, browser, seeded):
    bekzod = seeded.employees[1]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    violations = Violations(page)
    log_in(page, live_url, bekzod.email)  # the runs page's login, kept for the dashboard
    page.click("header nav a")
    page.wait_for_selector("body[data-loaded='today']", timeout=UI_WAIT_MS)

    own = _api(live_url, _token(page), "/stats/overview?period=today")
    assert (own["calls"], own["answered"], own["missed"], own["avgScore"]) == (4, 2, 2, 5.0)
    assert _card(page, "calls")[0] == "4" and _card(page, "avgScore")[0] == "5"
    assert _column(page, "name") == ["Bekzod Tursunov"]
    listed = page.eval_on_selector_all("#worklist tbody tr", "rows => rows.map(r => r.dataset.externalId)")
    assert listed[0] == seeded.waiting_recorded and seeded.waiting_plain not in listed  # Dilnoza's is not his
    assert page.locator("#calls-chart svg").count() == 1

    # A phone screen: nothing wider than it (the tables scroll inside their box if ever they must).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _choose(page, "month")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert violations.all() == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    context.close()


def test_with_javascript_off_the_login_form_posts_to_the_page_which_refuses_it(client):
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<form id="login-form" method="post" action="#">' in page
    refused = client.post("/dashboard", data={"email": "someone@example.test", "password": "hunter2-hunter2"})
    assert refused.status_code == 405 and "hunter2" not in refused.get_data(as_text=True)
