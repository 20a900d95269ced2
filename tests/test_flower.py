"""Flower never runs without basic auth and listens on FLOWER_ADDRESS (issue #12, point 5).

These run the real `celery -A workers flower` from the project root, where Flower finds
`flowerconfig.py`, exactly as the Procfile, compose and `make run` start it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import requests

from tests.support.services import free_port
from tests.support.workers import PROJECT_ROOT

FLOWER_START_S = 60


def _flower_env(redis_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLOWER_")}
    return {**env, "REDIS_URL": redis_url, "NAVAI_ENV": "test", **extra}


def _flower(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "workers", "flower", f"--port={port}"],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_flower_refuses_to_start_without_basic_auth(session_settings):
    process = _flower(_flower_env(session_settings.redis_url), free_port())
    output, _ = process.communicate(timeout=FLOWER_START_S)
    assert process.returncode != 0
    assert "refuses to start without authentication: set FLOWER_BASIC_AUTH" in output


def test_flower_asks_for_credentials_and_listens_on_loopback_by_default(session_settings):
    port = free_port()
    process = _flower(_flower_env(session_settings.redis_url, FLOWER_BASIC_AUTH="ops:long-test-password"), port)
    try:
        anonymous = _first_answer(f"http://127.0.0.1:{port}/", process)
        assert anonymous.status_code == 401
        assert requests.get(f"http://127.0.0.1:{port}/", auth=("ops", "long-test-password"), timeout=5).ok
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        process.terminate()
        process.wait(timeout=15)


def _first_answer(url: str, process: subprocess.Popen[str]) -> requests.Response:
    deadline = time.monotonic() + FLOWER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"flower exited: {process.stdout.read() if process.stdout else ''}")
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError("flower did not answer")


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) with a listening socket on `port`."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, _, hex_port = local.rpartition(":")
                if state == "0A" and int(hex_port, 16) == port:
                    addresses.add(address)
    return addresses


def test_procfile_and_compose_leave_the_address_and_auth_to_flowerconfig():
    procfile = dict(line.split(":", 1) for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line)
    assert procfile["flower"].strip() == "celery -A workers flower"
    compose = (PROJECT_ROOT / "docker-compose.yml").read_text()
    assert "--address" not in compose and '"127.0.0.1:5555:5555"' in compose
    assert "FLOWER_BASIC_AUTH: ${FLOWER_BASIC_AUTH:?" in compose
    assert "flowerconfig.py" in (PROJECT_ROOT / "Dockerfile").read_text()
