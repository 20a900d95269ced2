"""A flood of `GET /health` does not slow anyone else (issue #18, point 1).

The API runs as in production: gunicorn with its default synchronous workers (two, as the
Procfile), where a request holds a worker process for as long as it takes. Twenty clients (a
process of their own) send `/health` back to back while a signed-in user reads `/runs`; that
user's latency is compared with the same user's, measured unloaded in the same test. When each
`/health` waited on a one-second broadcast ping, every other request waited seconds behind them.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import TEST_PASSWORD
from tests.support.services import free_port
from tests.support.workers import PROJECT_ROOT

GUNICORN_WORKERS = 2  # the Procfile's default WEB_CONCURRENCY
FLOOD_CLIENTS = 20
SAMPLES = 40
SERVER_START_TIMEOUT_S = 60.0
# Generous, for a shared machine of two CPUs whose cores the flood itself keeps busy: under the
# flood a request may take this many times its unloaded median, or that median plus the slack,
# whichever is more. A one-second wait per /health made it several seconds.
LOADED_FACTOR = 10
LOADED_SLACK_S = 0.5
ALIVE_WAIT_S = 5.0
SAMPLING_BUDGET_S = 60.0  # samples that slow fail the test without waiting for all of them


@pytest.fixture
def api_server(settings, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(GUNICORN_WORKERS),
               "api:create_app()"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log_path)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text(errors='replace')}")
        try:
            requests.get(url + "/ui/style.css", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not serve within {SERVER_START_TIMEOUT_S} s:\n{log_path.read_text()}")


def _latencies_s(url: str, headers: dict[str, str], count: int, path: str = "/runs") -> list[float]:
    """Up to `count` sequential reads of `path`, as many as fit in SAMPLING_BUDGET_S."""
    latencies: list[float] = []
    deadline = time.monotonic() + SAMPLING_BUDGET_S
    while len(latencies) < count and time.monotonic() < deadline:
        started = time.monotonic()
        response = requests.get(url + path, headers=headers, timeout=60)
        latencies.append(time.monotonic() - started)
        assert response.status_code == 200, response.text
    return latencies


def _start_flood(url: str) -> subprocess.Popen[str]:
    flood = subprocess.Popen([sys.executable, "-m", "tests.api.observability.flood", url + "/health",
                              str(FLOOD_CLIENTS)], cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    assert flood.stdout is not None and flood.stdout.readline().strip() == "ready"
    return flood


def _stop_flood(flood: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    out, _ = flood.communicate(timeout=120)  # closes its stdin: the clients stop
    return json.loads(out.strip().splitlines()[-1])


def test_a_health_flood_does_not_slow_signed_in_requests(worker, api_server, make_user):
    admin = make_user("ADMIN")
    login = requests.post(api_server + "/auth/login", json={"email": admin.email, "password": TEST_PASSWORD},
                          timeout=30)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    _latencies_s(api_server, headers, 5)  # warm both gunicorn workers up
    unloaded = statistics.median(_latencies_s(api_server, headers, SAMPLES))
    deadline = time.monotonic() + ALIVE_WAIT_S  # the test's start emptied Redis: the worker's next renewal
    while requests.get(api_server + "/health", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, requests.get(api_server + "/health", timeout=30).text
        time.sleep(0.1)
    health = statistics.median(_latencies_s(api_server, {}, SAMPLES, "/health"))

    flood = _start_flood(api_server)
    try:
        loaded_latencies = _latencies_s(api_server, headers, SAMPLES)
    finally:
        report = _stop_flood(flood)
    loaded = statistics.median(loaded_latencies)
    bound = max(LOADED_FACTOR * unloaded, unloaded + LOADED_SLACK_S)
    print(f"/health median {health * 1000:.1f} ms; /runs median unloaded {unloaded * 1000:.1f} ms, under the "
          f"flood {loaded * 1000:.1f} ms (max {max(loaded_latencies) * 1000:.1f} ms); flood: {report}")
    assert report["errors"] == 0 and report["requests"] >= FLOOD_CLIENTS * 2, report
    assert set(report["statuses"]) <= {"200", "503"}, report
    assert loaded <= bound, f"median {loaded:.3f} s under the flood, {unloaded:.3f} s without"
