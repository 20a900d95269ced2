"""Upstream simulators for the local run: started when no real upstream is configured.

Each starter gets the process group and the environment; it may start a simulator and then
sets the variables (`HEMIS_API_URL`, `SIPUNI_USER`, ...) that point the system at it. Hooks in
`AFTER_BOOTSTRAP` run once the database is migrated (e.g. to create demo users); hooks in
`POST_START_HOOKS` run once the system is healthy (e.g. to queue a first sync).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from devstack.ai_upstream import ensure_demo_criteria, start_ai_simulator
from devstack.hemis_upstream import first_hemis_sync, start_hemis_simulator
from devstack.processes import ProcessGroup
from devstack.sipuni_upstream import ensure_sipuni_demo, start_sipuni_simulator
from devstack.teams_demo import ensure_demo_teams
from shared.settings import Settings

UpstreamStarter = Callable[[ProcessGroup, dict[str, str], Path], list[str]]
AfterBootstrap = Callable[[Settings, int], list[str]]
PostStartHook = Callable[[dict[str, str]], list[str]]

STARTERS: list[UpstreamStarter] = [start_ai_simulator, start_sipuni_simulator, start_hemis_simulator]
# The teams after the Sipuni demo: it creates the employees they place.
AFTER_BOOTSTRAP: list[AfterBootstrap] = [ensure_sipuni_demo, ensure_demo_criteria, ensure_demo_teams]
POST_START_HOOKS: list[PostStartHook] = [first_hemis_sync]


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


def run_post_start_hooks(env: dict[str, str]) -> list[str]:
    """Run every hook that needs the running system; return banner lines."""
    lines: list[str] = []
    for hook in POST_START_HOOKS:
        lines.extend(hook(env))
    return lines
