"""A small client of the simulator's control API, for tests, benchmarks and devstack."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from simulators.hemis.instances import PREFIX
from simulators.hemis.state import max_requests_in_any_window  # noqa: F401 (re-exported for tests, bench)

CONTROL_TIMEOUT_S = 30.0
START_TIMEOUT_S = 20.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SimulatorControl:
    """The control API of one instance: the root one at `http://host:port`, a named one at
    `http://host:port/i/<name>` (`instance`); `base_url` is also what the instance's clients use
    as their HEMIS URL."""

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

    # --- instances (on the root's control API) ----------------------------------------------------
    def create_instance(self, name: str, *, token: str | None, students: int = 0, employees: int = 0,
                        seed: int = 1, duplicate_persons: int = 0, rate_limit: dict[str, Any] | None = None,
                        latency_ms: float = 0.0) -> SimulatorControl:
        """A new instance named `name` (replacing one of that name), with its own data, token (None:
        every token refused) and Yii2 limiter (`{"limit", "window_s", "headers"}`); its control."""
        self._call("POST", "instances", {"name": name, "token": token, "students": students, "employees": employees,
                                         "seed": seed, "duplicatePersons": duplicate_persons,
                                         "rate_limit": rate_limit, "latency_ms": latency_ms})
        return self.instance(name)

    def instance(self, name: str) -> SimulatorControl:
        """The control API (and HEMIS URL) of the instance named `name`."""
        return SimulatorControl(f"{self.base_url.rstrip('/')}{PREFIX}{name}")

    def instances(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "instances")["instances"])

    def delete_instance(self, name: str) -> None:
        self._call("DELETE", f"instances/{name}")

    def delete_instances(self) -> None:
        self._call("DELETE", "instances")

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
                            duplicate_persons: int = 0, page_cache_mb: int | None = None,
                            **popen: Any) -> subprocess.Popen[bytes]:
    """`python -m simulators.hemis` as a child process (in its own session, so it can be stopped as a
    group); its root instance has the data given, more are added with `create_instance`."""
    command = [sys.executable, "-m", "simulators.hemis", "--port", str(port), "--students", str(students),
               "--employees", str(employees), "--seed", str(seed), "--duplicate-persons", str(duplicate_persons)]
    if page_cache_mb is not None:
        command += ["--page-cache-mb", str(page_cache_mb)]
    env = {**popen.pop("env", {}), "HEMIS_SIMULATOR_TOKEN": token}
    import os

    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, start_new_session=True, **popen)


