"""`make run` fakes AI when no STT/LLM is configured (unless AI_SIMULATOR=0), says so, and then points
the system at a simulator that answers."""

from __future__ import annotations

import os
import time

import requests

from devstack.ai_upstream import start_ai_simulator
from devstack.processes import ProcessGroup
from tests.support.workers import PROJECT_ROOT

START_WAIT_S = 20.0


def test_ai_simulator_0_fakes_nothing(tmp_path):
    group = ProcessGroup(cwd=PROJECT_ROOT, env={})
    env: dict[str, str] = {"AI_SIMULATOR": "0"}
    lines = start_ai_simulator(group, env, tmp_path)
    assert env == {"AI_SIMULATOR": "0"} and group.processes == {}
    assert "not configured" in lines[0]


def test_a_configured_provider_wins_over_ai_simulator(tmp_path):
    group = ProcessGroup(cwd=PROJECT_ROOT, env={})
    env = {"AI_SIMULATOR": "1", "STT_API_URL": "https://stt.example.test", "AI_PROVIDER": "gemini"}
    lines = start_ai_simulator(group, env, tmp_path)
    assert group.processes == {} and env["STT_API_URL"] == "https://stt.example.test"
    assert "ignored" in lines[0]


def test_by_default_the_fake_starts_and_the_settings_point_at_it(tmp_path):
    env = {**os.environ}
    env.pop("AI_SIMULATOR", None)
    env.pop("STT_API_URL", None)
    env.pop("AI_PROVIDER", None)
    group = ProcessGroup(cwd=PROJECT_ROOT, env=env)
    try:
        lines = start_ai_simulator(group, env, tmp_path)
        assert "SIMULATED" in lines[0] and env["AI_PROVIDER"] == "openai"
        response = _post_when_up(env["STT_API_URL"])
        assert response.status_code == 200 and response.json()["text"]  # today's form: plain text
    finally:
        group.stop_all()


def _post_when_up(url: str) -> requests.Response:
    deadline = time.monotonic() + START_WAIT_S
    while True:
        try:
            return requests.post(url, files={"file": ("a.wav", b"RIFF....", "audio/wav")},
                                 data={"diarization": "true", "language": "uz"}, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_with_the_simulated_ai_the_demo_organization_gets_criteria_once(tmp_path, settings, db):
    from sqlalchemy import select

    import devstack.ai_upstream as ai_upstream
    from shared.models import Criterion, Organization

    organization = Organization(name="Demo")
    db.add(organization)
    db.commit()
    ai_upstream._ai_simulated = True
    try:
        lines = ai_upstream.ensure_demo_criteria(settings, organization.id)
        again = ai_upstream.ensure_demo_criteria(settings, organization.id)
    finally:
        ai_upstream._ai_simulated = False
    names = set(db.scalars(select(Criterion.name).where(Criterion.organization_id == organization.id)))
    assert names == {name for name, _, _ in ai_upstream.DEMO_CRITERIA} and "demo criteria" in lines[0]
    assert again == []  # an organization with criteria keeps its own
