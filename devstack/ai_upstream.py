"""`make run`: with no real STT/LLM configured, the local fake (simulators/ai.py) is started so a
newcomer sees calls reach `done` with scores; the banner says SIMULATED (never a silent stand-in).
`AI_SIMULATOR=0` turns it off (calls then become `not_configured`)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from devstack.processes import ProcessGroup
from shared.settings import Settings

FALSE_WORDS = {"0", "false", "no", "off"}
SIMULATED_MODEL = "simulated-llm"
# What the simulated model scores a call against, when the demo organization has no criteria yet.
DEMO_CRITERIA = (("Greeting", 1.0, "The operator greets the caller and gives their name."),
                 ("Needs identified", 2.0, "The operator asks what the caller needs before answering."),
                 ("Polite close", 1.0, "The operator sums up and ends the call politely."))


def start_ai_simulator(group: ProcessGroup, env: dict[str, str], workdir: Path) -> list[str]:
    configured = bool(env.get("STT_API_URL") or env.get("AI_PROVIDER"))
    wanted = env.get("AI_SIMULATOR", "").strip().lower() not in FALSE_WORDS  # on unless turned off
    if configured:
        note = " (AI_SIMULATOR ignored)" if env.get("AI_SIMULATOR") and wanted else ""
        return [f"  AI      STT {env.get('STT_API_URL') or '-'}, provider {env.get('AI_PROVIDER') or '-'}{note}"]
    if not wanted:
        return ["  AI      not configured: calls become not_configured "
                "(set STT_API_URL + AI_PROVIDER, or drop AI_SIMULATOR=0 for the local fake)"]
    port = _free_port()
    group.start("ai-sim", [sys.executable, "-m", "simulators.ai", "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    env.update({"STT_API_URL": f"{base}/stt", "AI_PROVIDER": "openai", "OPENAI_BASE_URL": f"{base}/openai/v1",
                "AI_MODEL": SIMULATED_MODEL})
    global _ai_simulated
    _ai_simulated = True
    return [f"  AI      SIMULATED speech-to-text and LLM at {base} "
            "(no STT/LLM configured; AI_SIMULATOR=0 turns it off)"]


_ai_simulated = False


def ensure_demo_criteria(settings: Settings, organization_id: int) -> list[str]:
    """With the simulated AI, give the demo organization a few criteria (only if it has none), so
    that its calls come back `done` with scores."""
    if not _ai_simulated or not organization_id:
        return []
    from sqlalchemy import func, select

    from api.criteria.store import NewCriterion, create_criterion
    from shared.db import engine_for, make_session_factory, session_scope
    from shared.models import Criterion

    engine = engine_for(settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            existing = select(func.count()).select_from(Criterion).where(Criterion.organization_id == organization_id)
            if session.scalar(existing):
                return []
            for name, weight, description in DEMO_CRITERIA:
                create_criterion(session, organization_id,
                                 NewCriterion(name=name, weight=weight, description=description),
                                 max_active=settings.max_criteria)
    finally:
        engine.dispose()
    return [f"  AI      demo criteria: {', '.join(name for name, _, _ in DEMO_CRITERIA)}"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
