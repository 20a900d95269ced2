"""Retries against a real local HTTP server that fails on purpose."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from workers.upstream.http import RetryPolicy, UpstreamUnavailable, request_with_retries

FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02, connect_timeout_s=1, read_timeout_s=1)


@pytest.fixture
def scripted_server():
    """A server answering each request with the next (status, headers) of a script."""
    script: list[tuple[int, dict[str, str]]] = []
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            hits.append(self.path)
            status, headers = script.pop(0) if script else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", script, hits
    server.shutdown()


def test_5xx_then_success_is_retried(scripted_server):
    url, script, hits = scripted_server
    script.extend([(503, {}), (502, {})])
    response = request_with_retries(requests.Session(), "GET", url + "/x", policy=FAST)
    assert response.status_code == 200 and len(hits) == 3


def test_429_honours_retry_after(scripted_server):
    url, script, _ = scripted_server
    script.append((429, {"Retry-After": "0.3"}))
    waits: list[float] = []
    response = request_with_retries(requests.Session(), "GET", url, policy=FAST, sleep=waits.append)
    assert response.status_code == 200 and waits == [0.3]


def test_gives_up_after_the_last_attempt(scripted_server):
    url, script, hits = scripted_server
    script.extend([(500, {})] * 3)
    with pytest.raises(UpstreamUnavailable, match="HTTP 500 \\(attempt 3/3\\)"):
        request_with_retries(requests.Session(), "GET", url, policy=FAST)
    assert len(hits) == 3


def test_401_is_returned_at_once_without_retry(scripted_server):
    url, script, hits = scripted_server
    script.append((401, {}))
    assert request_with_retries(requests.Session(), "GET", url, policy=FAST).status_code == 401
    assert len(hits) == 1


def test_connection_refused_is_retried_then_raised():
    with pytest.raises(UpstreamUnavailable, match="ConnectionError"):
        request_with_retries(requests.Session(), "GET", "http://127.0.0.1:9/", policy=FAST)


def test_every_attempt_is_counted_by_outcome_in_redis(scripted_server, settings, redis_client):
    from shared import metrics

    url, script, _ = scripted_server
    script.extend([(429, {"Retry-After": "0"}), (503, {}), (200, {}), (404, {})])
    hemis, stt = metrics.UpstreamMeter(redis_client, "hemis"), metrics.UpstreamMeter(redis_client, "stt")
    request_with_retries(requests.Session(), "GET", url, policy=FAST, meter=hemis)
    request_with_retries(requests.Session(), "GET", url, policy=FAST, meter=hemis)  # the 404
    with pytest.raises(UpstreamUnavailable):
        request_with_retries(requests.Session(), "GET", "http://127.0.0.1:9/", meter=stt,
                             policy=RetryPolicy(attempts=2, base_delay_s=0.01, connect_timeout_s=1))
    counts = metrics.upstream_requests(redis_client)
    assert {key: n for key, n in counts.items() if n} == {
        ("hemis", "429"): 1, ("hemis", "5xx"): 1, ("hemis", "2xx"): 1, ("hemis", "4xx"): 1, ("stt", "error"): 2}
