"""The Sipuni simulator for `make run`: started when no SIPUNI_USER is set, with a demo account
kept in `.data/` and demo employees whose extensions match the simulator's calls."""

from __future__ import annotations

import json
import secrets
import socket
import sys
from pathlib import Path

from sqlalchemy import select

from devstack.processes import ProcessGroup
from shared.db import engine_for, make_session_factory, session_scope
from shared.models import Organization, Role, User
from shared.settings import Settings

SIPUNI_DEMO_CALLS = 500
SIPUNI_DEMO_SEED = 1
SIPUNI_DEMO_LATENCY_MS = 150
# Extensions of the simulator's calls that get demo employees (294 and 299 stay unknown, so that
# step 2 also shows "Employee not found").
SIPUNI_DEMO_EXTS = ("201", "202", "203", "204", "205", "206", "210", "212")
_sipuni_simulated = False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sipuni_demo_account(workdir: Path) -> dict[str, str]:
    """A random account for the simulator, kept in .data so the demo organization keeps matching it."""
    path = workdir / ".data" / "sipuni-simulator.json"
    if path.exists():
        return json.loads(path.read_text())
    account = {"user": f"0{secrets.randbelow(100_000):05d}", "secret": f"0.{secrets.token_hex(6)}"}
    path.write_text(json.dumps(account))
    path.chmod(0o600)
    return account


def start_sipuni_simulator(group: ProcessGroup, env: dict[str, str], workdir: Path) -> list[str]:
    global _sipuni_simulated
    if env.get("SIPUNI_USER"):
        return []
    account, port = _sipuni_demo_account(workdir), _free_port()
    group.start("sipuni", [sys.executable, "-m", "simulators.sipuni", "--port", str(port), "--user", account["user"],
                           "--secret", account["secret"], "--calls", str(SIPUNI_DEMO_CALLS),
                           "--seed", str(SIPUNI_DEMO_SEED), "--latency-ms", str(SIPUNI_DEMO_LATENCY_MS)])
    env.update(SIPUNI_API_URL=f"http://127.0.0.1:{port}/api", SIPUNI_USER=account["user"],
               SIPUNI_SECRET=account["secret"])
    _sipuni_simulated = True
    return [f"  Sipuni  simulator http://127.0.0.1:{port}/api ({SIPUNI_DEMO_CALLS} calls; no SIPUNI_USER set)"]


def ensure_sipuni_demo(settings: Settings, organization_id: int) -> list[str]:
    """Give the demo organization the simulator's account and employees with its extensions."""
    if not _sipuni_simulated or not organization_id:
        return []
    from werkzeug.security import generate_password_hash

    engine = engine_for(settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            organization = session.get(Organization, organization_id)
            organization.sipuni_user, organization.sipuni_secret = settings.sipuni_user, settings.sipuni_secret
            known = set(session.scalars(select(User.ext_code).where(User.organization_id == organization_id)))
            for ext in SIPUNI_DEMO_EXTS:
                if ext not in known:
                    session.add(User(email=f"employee{ext}@navai.local", role=Role.EMPLOYEE.value,
                                     password_hash=generate_password_hash(secrets.token_urlsafe(16)),
                                     organization_id=organization_id, ext_code=ext, full_name=f"Demo employee {ext}"))
    finally:
        engine.dispose()
    return [f"  Sipuni  demo employees with extensions {', '.join(SIPUNI_DEMO_EXTS)}"]
