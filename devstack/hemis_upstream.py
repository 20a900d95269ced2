"""The HEMIS simulator for `make run`, and the first sync once the system is healthy."""

from __future__ import annotations

import secrets
import socket
import sys
from pathlib import Path

from devstack.processes import ProcessGroup

HEMIS_DEMO_STUDENTS = 500
HEMIS_DEMO_EMPLOYEES = 120
HEMIS_DEMO_PORT = 8790


def start_hemis_simulator(group: ProcessGroup, env: dict[str, str], workdir: Path) -> list[str]:
    """No HEMIS_API_URL: run the HEMIS simulator with a demo dataset and point the system at it."""
    if env.get("HEMIS_API_URL"):
        return [f"  HEMIS   {env['HEMIS_API_URL']} (configured)"]
    port = _free_port(HEMIS_DEMO_PORT)
    token = env.get("HEMIS_BEARER_TOKEN") or secrets.token_urlsafe(24)
    group.start("hemis", [sys.executable, "-m", "simulators.hemis", "--port", str(port), "--students",
                          str(HEMIS_DEMO_STUDENTS), "--employees", str(HEMIS_DEMO_EMPLOYEES)],
                extra_env={"HEMIS_SIMULATOR_TOKEN": token})
    env["HEMIS_API_URL"] = f"http://127.0.0.1:{port}"
    env["HEMIS_BEARER_TOKEN"] = token
    env.setdefault("HEMIS_RATE_LIMIT", "10")  # the demo simulator has no rate limit of its own
    env["HEMIS_DEMO"] = "1"
    return [f"  HEMIS   simulator at {env['HEMIS_API_URL']} ({HEMIS_DEMO_STUDENTS} students, "
            f"{HEMIS_DEMO_EMPLOYEES} employee rows); a first sync starts now"]


def _free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_hemis_sync(env: dict[str, str]) -> list[str]:
    """With the demo simulator, sync students then employees once, as the nightly run would."""
    if env.get("HEMIS_DEMO") != "1":
        return []
    from shared.catalog import HEMIS_NIGHTLY_SYNC
    from shared.settings import Settings
    from workers import create_celery

    create_celery(Settings.from_env(env)).send_task(HEMIS_NIGHTLY_SYNC)
    return ["  HEMIS   first sync queued: GET /api/hemis/progress/students shows it"]
