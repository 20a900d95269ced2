"""`make run`: the AI pipeline stays `not_configured` unless a real STT and provider are set, or
`AI_SIMULATOR=1` asks for the local fake (simulators/ai.py) — never a silent stand-in."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from devstack.processes import ProcessGroup

TRUE_WORDS = {"1", "true", "yes", "on"}
SIMULATED_MODEL = "simulated-llm"


def start_ai_simulator(group: ProcessGroup, env: dict[str, str], workdir: Path) -> list[str]:
    configured = bool(env.get("STT_API_URL") or env.get("AI_PROVIDER"))
    asked = env.get("AI_SIMULATOR", "").strip().lower() in TRUE_WORDS
    if configured:
        note = " (AI_SIMULATOR ignored)" if asked else ""
        return [f"  AI      STT {env.get('STT_API_URL') or '-'}, provider {env.get('AI_PROVIDER') or '-'}{note}"]
    if not asked:
        return ["  AI      not configured: calls become not_configured "
                "(set STT_API_URL + AI_PROVIDER, or AI_SIMULATOR=1 for a local fake)"]
    port = _free_port()
    group.start("ai-sim", [sys.executable, "-m", "simulators.ai", "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    env.update({"STT_API_URL": f"{base}/stt", "AI_PROVIDER": "openai", "OPENAI_BASE_URL": f"{base}/openai/v1",
                "AI_MODEL": SIMULATED_MODEL})
    return [f"  AI      SIMULATED speech-to-text and LLM at {base} (AI_SIMULATOR=1)"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
