"""`make run`: with no real STT/LLM configured, the local fake (simulators/ai.py) is started so a
newcomer sees calls reach `done` with scores; the banner says SIMULATED (never a silent stand-in).
`AI_SIMULATOR=0` turns it off (calls then become `not_configured`)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from devstack.processes import ProcessGroup

FALSE_WORDS = {"0", "false", "no", "off"}
SIMULATED_MODEL = "simulated-llm"


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
    return [f"  AI      SIMULATED speech-to-text and LLM at {base} (no STT/LLM configured; AI_SIMULATOR=0 turns it off)"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
