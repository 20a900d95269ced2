"""`GET /api/hemis/check` against the HEMIS simulator (its token check, its Yii2 rate limiter, its
faults), a port where nothing listens, and a plain web server that is not HEMIS."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from api import create_app
from tests.conftest import TEST_PASSWORD, settings_with
from tests.support.services import free_port

CHECK = "/api/hemis/check"
ANSWER_KEYS = {"success", "message", "reason", "studentCount", "rateLimit"}
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Universitet</title></head><body><h1>Xush kelibsiz</h1></body></html>"




@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def other_app(settings, make_user) -> Iterator[Callable[..., tuple[FlaskClient, dict[str, str]]]]:  # type: ignore[no-untyped-def]
    """An app whose HEMIS is somewhere else (`hemis_api_url`, `hemis_bearer_token`), and an ADMIN's headers."""
    apps: list[Any] = []

    def build(**hemis: str) -> tuple[FlaskClient, dict[str, str]]:
        app = create_app(settings_with(settings, **hemis))
        apps.append(app)
        client = app.test_client()
        return client, _login(client, make_user("ADMIN"))

    yield build
    for app in apps:
        app.extensions["navai"].engine.dispose()


@pytest.fixture
def check_with(other_app) -> Callable[..., dict[str, Any]]:  # type: ignore[no-untyped-def]
    def run(**hemis: str) -> dict[str, Any]:
        return _check(*other_app(**hemis))

    return run


def _check(client: FlaskClient, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    response = client.get(CHECK + query, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = dict(response.get_json())
    assert set(body) == ANSWER_KEYS
    return body


def test_ok_answers_the_student_count_and_the_servers_rate_limit_with_one_request(hemis, client, auth_headers,
                                                                                  make_user, settings, logs):
    hemis.reset(students=230, seed=4, duplicate_persons=3)
    hemis.rate_limit(limit=10, window_s=60)
    host = "127.0.0.1"
    admin = make_user("ADMIN")  # the only organization: the deployment's HEMIS is its HEMIS

    answer = _check(client, auth_headers(user=admin))

    assert answer == {"success": True, "reason": "ok", "studentCount": 230,  # every enrolment, as HEMIS counts
                      "message": f"HEMIS ({host}) accepted the token: 230 students (every status, each enrolment)",
                      "rateLimit": {"limit": 10, "remaining": 9, "reset": 6}}  # Yii2: (10 - 10 + 1) * 60 / 10
    assert [(r["path"], r["page"], r["status"]) for r in hemis.requests()] == [("student-list", 1, 200)]
    assert "HEMIS token check: ok" in logs.text and settings.hemis_bearer_token not in logs.text

    hemis.config(rate_limit=None)  # an installation with the limiter's headers off, or none
    # A SUPERADMIN checks the HEMIS of the organization it names.
    assert _check(client, auth_headers("SUPERADMIN"), f"?organizationId={admin.organization_id}")["rateLimit"] is None


def test_a_refused_token_is_unauthorized_with_yii2s_401(hemis, client, auth_headers, settings, logs):
    hemis.config(token="the-token-hemis-has-now")
    refused = requests.get(f"{settings.hemis_api_url}/rest/v1/data/student-list",
                           headers={"Authorization": f"Bearer {settings.hemis_bearer_token}"}, timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert refused.json() == {"name": "Unauthorized", "message": "Your request was made with invalid credentials.",
                              "code": 0, "status": 401}

    response = client.get(CHECK, headers=auth_headers("ADMIN"))

    answer = response.get_json()
    assert (answer["success"], answer["reason"], answer["studentCount"]) == (False, "unauthorized", None)
    assert answer["message"] == ("HEMIS (127.0.0.1) refused the token (HTTP 401: Your request was made with "
                                 "invalid credentials.)")
    assert settings.hemis_bearer_token not in response.get_data(as_text=True) + logs.text
    assert "HEMIS token check: unauthorized" in logs.text


def test_rate_limited_by_the_yii2_limiter_and_what_else_hemis_may_answer(hemis, client, auth_headers):
    headers = auth_headers("ADMIN")
    hemis.reset(students=5)
    hemis.rate_limit(limit=1, window_s=60)
    assert _check(client, headers)["rateLimit"] == {"limit": 1, "remaining": 0, "reset": 60}
    limited = _check(client, headers)
    assert limited == {"success": False, "reason": "rate_limited", "studentCount": None,
                       "message": "HEMIS (127.0.0.1) is limiting requests (HTTP 429); the allowance refills "
                                  "within 60 s",
                       "rateLimit": {"limit": 1, "remaining": 0, "reset": 60}}

    hemis.config(rate_limit=None)
    hemis.faults({"path": "student-list", "status": 500, "count": 1})
    assert _check(client, headers)["reason"] == "unreachable"
    hemis.faults({"path": "student-list", "status": 200, "body": "success_false", "count": 1})
    assert _check(client, headers)["reason"] == "unauthorized"  # 200 with success=false: a refusal
    hemis.faults({"path": "student-list", "status": 200, "body": "html", "count": 1})
    assert _check(client, headers)["reason"] == "not_hemis"  # a proxy's page, not the list
    hemis.config(array_envelope=True)  # the Swagger's one-element arrays
    assert _check(client, headers)["studentCount"] == 5


def test_an_unreachable_port_is_said_so_never_a_500(settings, check_with, logs):
    answer = check_with(hemis_api_url=f"http://127.0.0.1:{free_port()}/rest")
    assert (answer["success"], answer["reason"]) == (False, "unreachable")
    assert answer["message"] == "HEMIS (127.0.0.1) could not be reached (ConnectionError)"
    assert settings.hemis_bearer_token not in str(answer) + logs.text


def test_a_web_server_that_is_not_hemis(check_with):
    with _plain_web_server() as url:
        answer = check_with(hemis_api_url=url)
    assert (answer["success"], answer["reason"], answer["rateLimit"]) == (False, "not_hemis", None)
    assert answer["message"] == ("127.0.0.1 answered HTTP 200 with an HTML page, not HEMIS's student list: "
                                 "check the HEMIS URL")


def test_who_may_check_and_a_deployment_without_hemis(client, auth_headers, other_app, hemis):
    assert client.get(CHECK).status_code == 401
    for role in ("MANAGER", "EMPLOYEE"):
        assert client.get(CHECK, headers=auth_headers(role)).status_code == 403
    unconfigured, headers = other_app(hemis_bearer_token="")
    response = unconfigured.get(CHECK, headers=headers)
    assert response.status_code == 503 and response.get_json()["success"] is False
    assert "HEMIS_BEARER_TOKEN" in response.get_json()["message"]
    assert hemis.requests() == []  # nobody refused got a request sent
    assert "get" in client.get("/openapi.json").get_json()["paths"][CHECK]


@contextmanager
def _plain_web_server() -> Iterator[str]:
    """A web server answering every GET with an HTML page, as a university's home page would."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=UTF-8")
            self.send_header("Content-Length", str(len(HTML_PAGE)))
            self.end_headers()
            self.wfile.write(HTML_PAGE)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _login(client: FlaskClient, user: Any) -> dict[str, str]:
    response = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}
