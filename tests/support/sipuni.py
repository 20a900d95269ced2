"""The Sipuni simulator for the tests: one subprocess per test session, on the port that
`session_settings.sipuni_api_url` points at, driven through its control API."""

from __future__ import annotations

import atexit
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from shared.models import Organization, User
from shared.settings import Settings
from tests.support.workers import PROJECT_ROOT

START_TIMEOUT_S = 20.0
DEFAULT_CALLS = 60
DEFAULT_SEED = 7
# Extensions the tests give employees; the simulator also uses 294 and 299, which stay unknown.
EMPLOYEE_EXTS = ("201", "202", "203", "204", "205", "206", "210", "212")
RUN_WAIT_S = 90.0
FINISHED = ("completed", "completed_with_errors", "failed")


class SipuniSimulator:
    def __init__(self, settings: Settings) -> None:
        parts = urlsplit(settings.sipuni_api_url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.port = parts.port
        self.process: subprocess.Popen[bytes] | None = None
        self.settings = settings

    def start(self) -> None:
        command = [sys.executable, "-m", "simulators.sipuni", "--port", str(self.port), "--user",
                   self.settings.sipuni_user, "--secret", self.settings.sipuni_secret, "--calls", str(DEFAULT_CALLS),
                   "--seed", str(DEFAULT_SEED)]
        self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.base}/control/stats", timeout=1)
                return
            except (requests.ConnectionError, requests.Timeout):
                if self.process.poll() is not None:
                    raise RuntimeError(f"the simulator exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
                time.sleep(0.1)
        raise RuntimeError("the Sipuni simulator did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def control(self, action: str, payload: dict[str, Any] | None = None) -> Any:
        if payload is None:
            response = requests.get(f"{self.base}/control/{action}", timeout=10)
        else:
            response = requests.post(f"{self.base}/control/{action}", json=payload, timeout=30)
        response.raise_for_status()
        return response.json()

    def reset(self, calls: int = DEFAULT_CALLS, seed: int = DEFAULT_SEED, newest_local: str | None = None) -> None:
        """New data; `newest_local` (ISO, the account's local time) moves the call history in time."""
        self.control("reset", {"calls": calls, "seed": seed, **({"newestLocal": newest_local} if newest_local else {})})

    def format(self, **options: Any) -> None:
        self.control("format", options)

    def faults(self, **faults: Any) -> None:
        self.control("faults", faults)

    def calls(self) -> list[dict[str, Any]]:
        return self.control("calls")

    def stats(self) -> dict[str, Any]:
        return self.control("stats")


_simulator: SipuniSimulator | None = None


def simulator_for(settings: Settings) -> SipuniSimulator:
    """Start the simulator once per test process (several conftests share it)."""
    global _simulator
    if _simulator is None:
        _simulator = SipuniSimulator(settings)
        _simulator.start()
        atexit.register(_simulator.stop)
    return _simulator


@pytest.fixture
def sipuni(settings: Settings) -> SipuniSimulator:
    """The simulator, reset to its default data (60 calls, seed 7), formats and no faults."""
    simulator = simulator_for(settings)
    simulator.reset()
    return simulator


@pytest.fixture
def sipuni_org(make_user: Callable[..., User], db, settings: Settings) -> tuple[User, Organization]:  # type: ignore[no-untyped-def]
    """An ADMIN and an organization whose employees have the extensions EMPLOYEE_EXTS. The
    organization has its own Sipuni account (the simulator's), so tests may add more organizations:
    the deployment's account serves only a deployment with a single organization."""
    admin = make_user("ADMIN")
    organization = db.get(Organization, admin.organization_id)
    give_sipuni_account(db, organization, settings)
    for ext in EMPLOYEE_EXTS:
        make_user("EMPLOYEE", organization=organization, ext_code=ext)
    return admin, organization


def give_sipuni_account(db, organization: Organization, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Give `organization` its own Sipuni account: the one the simulator accepts."""
    organization.sipuni_user, organization.sipuni_secret = settings.sipuni_user, settings.sipuni_secret
    db.commit()


def expected_outcomes(calls: list[dict[str, Any]], employee_exts: tuple[str, ...] = EMPLOYEE_EXTS) -> dict[str, str]:
    """What step 2 must do with each call of the simulator: processed or the skip reason."""
    outcomes = {}
    for call in calls:
        if call["employee_ext"] not in employee_exts:
            outcomes[call["record_id"]] = "employee_not_found"
        elif call["recording"] != "ok":
            outcomes[call["record_id"]] = "no_recording"
        else:
            outcomes[call["record_id"]] = "processed"
    return outcomes


def wait_for_run(client, headers: dict[str, str], run_id: str, timeout_s: float = RUN_WAIT_S) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = client.get(f"/runs/{run_id}", headers=headers).get_json()
        if body.get("status") in FINISHED:
            return body
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish: {body}")
