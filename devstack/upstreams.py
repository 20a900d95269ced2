"""Upstream simulators for the local run: started when no real upstream is configured.

Each starter gets the process group and the environment; it may start a simulator and then
sets the variables (`HEMIS_API_URL`, `SIPUNI_USER`, ...) that point the system at it. Hooks in
`AFTER_BOOTSTRAP` run once the database is migrated (e.g. to create demo users).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from devstack.ai_upstream import start_ai_simulator
from devstack.processes import ProcessGroup
from devstack.sipuni_upstream import ensure_sipuni_demo, start_sipuni_simulator
from shared.settings import Settings

UpstreamStarter = Callable[[ProcessGroup, dict[str, str], Path], list[str]]
AfterBootstrap = Callable[[Settings, int], list[str]]

STARTERS: list[UpstreamStarter] = [start_ai_simulator, start_sipuni_simulator]
AFTER_BOOTSTRAP: list[AfterBootstrap] = [ensure_sipuni_demo]


def start_upstreams(group: ProcessGroup, env: dict[str, str], workdir: Path) -> list[str]:
    """Run every starter; return lines describing what was started, for the banner."""
    lines: list[str] = []
    for starter in STARTERS:
        lines.extend(starter(group, env, workdir))
    return lines


def after_bootstrap(settings: Settings, organization_id: int) -> list[str]:
    """Run every hook that needs the migrated database; return banner lines."""
    lines: list[str] = []
    for hook in AFTER_BOOTSTRAP:
        lines.extend(hook(settings, organization_id))
    return lines
