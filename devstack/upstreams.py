"""Upstream simulators for the local run: started when no real upstream is configured.

Each starter gets the process group and the environment; it may start a simulator and then
sets the variables (`HEMIS_API_URL`, `SIPUNI_USER`, ...) that point the system at it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from devstack.ai_upstream import start_ai_simulator
from devstack.processes import ProcessGroup

UpstreamStarter = Callable[[ProcessGroup, dict[str, str], Path], list[str]]

STARTERS: list[UpstreamStarter] = [start_ai_simulator]


def start_upstreams(group: ProcessGroup, env: dict[str, str], workdir: Path) -> list[str]:
    """Run every starter; return lines describing what was started, for the banner."""
    lines: list[str] = []
    for starter in STARTERS:
        lines.extend(starter(group, env, workdir))
    return lines
