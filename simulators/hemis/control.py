"""A small client of the simulator's control API, for tests, benchmarks and devstack."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from simulators.hemis.server import max_requests_in_any_window  # noqa: F401 (re-exported for tests, bench)

CONTROL_TIMEOUT_S = 30.0
START_TIMEOUT_S = 20.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SimulatorControl:
    base_url: str

    def _call(self, method: str, route: str, payload: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, f"{self.base_url}/_control/{route}", json=payload,
                                    timeout=CONTROL_TIMEOUT_S)
        response.raise_for_status()
        return response.json()

    def reset(self, students: int = 0, employees: int = 0, seed: int = 1, duplicate_persons: int = 0) -> None:
        """New data; `duplicate_persons` N: the last N of the `students` items are second enrolments
        of the first N persons (same `id`, another `meta_id`)."""
        self._call("POST", "reset", {"students": students, "employees": employees, "seed": seed,
                                     "duplicatePersons": duplicate_persons})

    def config(self, **settings: Any) -> None:
        self._call("POST", "config", settings)

    def faults(self, *rules: dict[str, Any]) -> None:
        self._call("POST", "faults", {"rules": list(rules)})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def change(self, kind: str, **change: Any) -> None:
        self._call("POST", "change", {"kind": kind, "after_requests": 0, **change})

    def requests(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "stats")["requests"])

    def rate_limit(self, limit: int, window_s: int, headers: bool = True) -> None:
        """Put Yii2's rate limiter in front of the data routes (`limit` requests per `window_s`)."""
        self.config(rate_limit={"limit": limit, "window_s": window_s, "headers": headers})

    def rate_limit_stats(self) -> dict[str, Any]:
        """{"limit", "windowS", "headers", "refused", "maxRequestsInWindow"} of the limiter."""
        return dict(self._call("GET", "stats")["rateLimit"])

    def clear_stats(self) -> None:
        self._call("DELETE", "stats")

    def wait_until_up(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.requests()
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def start_simulator_process(port: int, token: str, *, students: int, employees: int, seed: int = 1,
                            duplicate_persons: int = 0, **popen: Any) -> subprocess.Popen[bytes]:
    """`python -m simulators.hemis` as a child process (in its own session, so it can be stopped as a group)."""
    command = [sys.executable, "-m", "simulators.hemis", "--port", str(port), "--students", str(students),
               "--employees", str(employees), "--seed", str(seed), "--duplicate-persons", str(duplicate_persons)]
    env = {**popen.pop("env", {}), "HEMIS_SIMULATOR_TOKEN": token}
    import os

    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, start_new_session=True, **popen)


