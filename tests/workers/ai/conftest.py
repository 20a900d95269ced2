"""The AI pipeline's tests: a fake STT + LLM server over real HTTP, and workers configured for it.

The shared session worker has no AI configured (so other features' calls become
`not_configured` at once). For these tests it stops consuming the `ai` queue, and each test starts
a worker with exactly the AI settings it needs, so no other worker takes its tasks.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Sequence

import pytest
from celery import Celery
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shared.leases.publish import publish_leased
from shared.models import Call
from shared.settings import Settings
from simulators.ai import AiSimulator
from tests.conftest import settings_with
from tests.support.workers import WorkerProcess

AI_QUEUE = "ai"
WAIT_S = 40.0
POLL_S = 0.1
SETTLED = frozenset({"done", "failed", "not_configured", "skipped"})


@pytest.fixture(scope="package", autouse=True)
def session_worker_off_ai_queue(session_worker: WorkerProcess, celery_app: Celery) -> Iterator[None]:
    control = celery_app.control
    control.cancel_consumer(AI_QUEUE, destination=[session_worker.name], reply=True, timeout=5)
    yield
    control.add_consumer(AI_QUEUE, destination=[session_worker.name], reply=True, timeout=5)


@pytest.fixture(scope="session")
def ai_sim_keys() -> dict[str, str]:
    return {"gemini": secrets.token_urlsafe(16), "openai": secrets.token_urlsafe(16)}


@pytest.fixture(scope="session")
def ai_sim_server(ai_sim_keys: dict[str, str]) -> Iterator[AiSimulator]:
    sim = AiSimulator(gemini_key=ai_sim_keys["gemini"], openai_key=ai_sim_keys["openai"]).start()
    yield sim
    sim.stop()


@pytest.fixture
def sim(ai_sim_server: AiSimulator, settings: Settings) -> AiSimulator:
    ai_sim_server.reset()
    return ai_sim_server


@pytest.fixture
def ai_settings(settings: Settings, sim: AiSimulator, ai_sim_keys: dict[str, str]) -> Callable[..., Settings]:
    """Settings pointing at the simulator, for `provider` ("gemini" or "openai")."""

    def configured(provider: str = "gemini", **changes: object) -> Settings:
        return settings_with(
            settings, stt_api_url=f"{sim.url}/stt", ai_provider=provider,
            ai_model="gemini-2.5-flash" if provider == "gemini" else "local-llama",
            gemini_api_url=f"{sim.url}/gemini/v1beta", gemini_api_key=ai_sim_keys["gemini"],
            openai_base_url=f"{sim.url}/openai/v1", openai_api_key=ai_sim_keys["openai"],
            ai_rate_limit=0, stt_rate_limit=0, **changes)

    return configured


@pytest.fixture
def ai_worker(extra_workers: Callable[..., WorkerProcess]) -> Callable[..., WorkerProcess]:
    """Start a worker on the `ai` queue only, with the given settings."""

    def start(settings: Settings, concurrency: int = 2) -> WorkerProcess:
        return extra_workers("ai", settings=settings, queues=AI_QUEUE, concurrency=concurrency)

    return start


def wait_for_calls(engine: Engine, call_ids: Sequence[int], statuses: frozenset[str] = SETTLED) -> dict[int, Call]:
    """Poll the database until every call's ai_status is in `statuses`; return the calls."""
    deadline = time.monotonic() + WAIT_S
    calls: dict[int, Call] = {}
    while time.monotonic() < deadline:
        with Session(engine, expire_on_commit=False) as session:
            calls = {c.id: c for c in session.scalars(select(Call).where(Call.id.in_(list(call_ids))))}
        if len(calls) == len(call_ids) and all(c.ai_status in statuses for c in calls.values()):
            return calls
        time.sleep(POLL_S)
    raise AssertionError(f"calls did not settle: { {i: (c.ai_status, c.ai_error) for i, c in calls.items()} }")


def process(celery_app: Celery, *call_ids: int) -> None:
    """What the Sipuni sync does after storing a call."""
    for call_id in call_ids:
        publish_leased(celery_app.navai_services, "ai.process_call", args=[call_id])
