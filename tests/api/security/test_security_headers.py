"""Security headers on every kind of response, and pages that run no inline script (issue #18, point 8).
The pages are tested under their policy in Chromium in `tests/api/ui/test_browser_security.py`."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from api.http.security_headers import PAGE_POLICY

PAGES = ("/", "/dashboard", "/docs")


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: values for name, *values in parts}


def _assert_common(response) -> None:  # type: ignore[no-untyped-def]
    assert response.headers["X-Content-Type-Options"] == "nosniff", response.headers
    assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin"), response.headers


@pytest.mark.parametrize("method, path, status", [
    ("get", "/health", None),  # JSON, public
    ("get", "/openapi.json", 200),
    ("get", "/ui/app.js", 200),  # static files
    ("get", "/ui/style.css", 200),
    ("get", "/docs/assets/navai-start.js", 200),
    ("get", "/docs/assets/js/swagger-ui-bundle.js", 200),
    ("get", "/metrics", None),  # Prometheus text (or 401 asking for METRICS_TOKEN)
    ("get", "/runs", 401),  # errors: no token, unknown route, wrong method, bad input, unknown file
    ("get", "/no-such-route", 404),
    ("delete", "/health", 405),
    ("post", "/auth/login", 400),
    ("get", "/ui/no-such-file.js", 404),
])
def test_every_response_says_nosniff_and_a_referrer_policy(client, method, path, status):
    response = getattr(client, method)(path)
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)[:300]
    _assert_common(response)
    assert response.mimetype != "text/html"
    assert "Content-Security-Policy" not in response.headers  # a page's policy is for pages


def test_a_database_failure_answer_carries_them_too(settings):
    from api import create_app
    from tests.conftest import settings_with
    from tests.support.services import free_port

    away = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/navai"  # nothing listens
    client = create_app(settings_with(settings, database_url=away)).test_client()
    response = client.post("/auth/login", json={"email": "someone@example.test", "password": "x" * 12})
    assert response.status_code == 503 and response.get_json()["success"] is False
    _assert_common(response)


def test_a_signed_in_json_answer_carries_them_too(client, auth_headers):
    response = client.get("/runs", headers=auth_headers("ADMIN"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    _assert_common(response)


@pytest.mark.parametrize("path", PAGES)
def test_pages_forbid_framing_and_inline_script(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    _assert_common(response)
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    directives = _directives(response.headers["Content-Security-Policy"])
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]  # neither 'unsafe-inline' nor 'unsafe-eval' nor a CDN
    assert directives["media-src"] == ["'self'", "blob:"]  # the dashboard's recordings, fetched with the token
    assert all("http" not in value and "*" not in value for values in directives.values() for value in values)


class _Scripts(HTMLParser):
    """Every <script> of a page (with its src and text), every inline handler, style attribute and form."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str]] = []
        self.inline: list[str] = []
        self.forms: list[dict[str, str | None]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append({"src": values.get("src") or "", "text": ""})
            self._in_script = True
        if tag == "form":
            self.forms.append(values)
        self.inline += [f"{tag} {name}" for name, _ in attrs if name.startswith("on") or name == "style"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1]["text"] += data


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_their_scripts_from_this_origin_only(client, path):
    page = _Scripts()
    page.feed(client.get(path).get_data(as_text=True))
    assert page.scripts, "the page loads its script from a file"
    for script in page.scripts:
        assert script["src"].startswith("/") and not script["src"].startswith("//"), script
        assert not script["text"].strip(), f"inline script in {path}: {script['text'][:80]}"
    assert page.inline == []


def test_the_login_form_posts_and_never_puts_credentials_in_a_url(client):
    page = _Scripts()
    page.feed(client.get("/").get_data(as_text=True))
    [form] = [form for form in page.forms if form.get("id") == "login-form"]
    assert (form.get("method") or "").lower() == "post"
    assert "?" not in (form.get("action") or "")
    # With JavaScript off the browser posts the form to the page itself: refused, nothing echoed.
    refused = client.post("/", data={"email": "someone@example.test", "password": "hunter2-hunter2"})
    assert refused.status_code == 405 and "hunter2" not in refused.get_data(as_text=True)
    _assert_common(refused)


def test_docs_do_not_persist_a_pasted_token(client):
    script = client.get("/docs/assets/navai-start.js").get_data(as_text=True)
    assert "persistAuthorization: false" in script and "localStorage" not in script
