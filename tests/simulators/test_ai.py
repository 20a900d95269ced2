"""The AI simulator speaks the real request and answer shapes, and checks credentials."""

from __future__ import annotations

import json

import pytest
import requests

from simulators.ai import STT_FORM_SEGMENTS, AiSimulator


@pytest.fixture
def sim():
    simulator = AiSimulator(gemini_key="g-key", openai_key="o-key").start()
    yield simulator
    simulator.stop()


def test_stt_needs_the_original_multipart_fields(sim):
    sim.stt_form = STT_FORM_SEGMENTS  # the earlier form (today's, the default, ignores the fields)
    missing = requests.post(f"{sim.url}/stt", files={"file": ("a.wav", b"RIFF", "audio/wav")}, data={"language": "uz"})
    assert missing.status_code == 400
    sim.camel_case = True
    ok = requests.post(f"{sim.url}/stt", files={"file": ("a.wav", b"RIFF", "audio/wav")},
                       data={"diarization": "true", "language": "uz"})
    assert ok.status_code == 200 and {"speaker", "text", "startMs", "endMs"} <= set(ok.json()["segments"][0])


def test_gemini_and_openai_shapes_and_keys(sim):
    schema = {"type": "OBJECT", "properties": {"criterion_scores": {"type": "OBJECT", "properties": {
        "4": {"type": "NUMBER", "maximum": 100}}}}}
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "generationConfig": {"responseMimeType": "application/json", "responseSchema": schema}}
    url = f"{sim.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent"
    assert requests.post(url, json=body, headers={"x-goog-api-key": "wrong"}).status_code == 400
    answer = requests.post(url, json=body, headers={"x-goog-api-key": "g-key"}).json()
    text = answer["candidates"][0]["content"]["parts"][0]["text"]
    assert json.loads(text)["criterion_scores"] == {"4": 99.0}

    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}}
    assert requests.post(f"{sim.url}/openai/v1/chat/completions", json=chat).status_code == 401
    sim.fail_next("openai", 429, retry_after="3")
    limited = requests.post(f"{sim.url}/openai/v1/chat/completions", json=chat,
                            headers={"Authorization": "Bearer o-key"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    sim.answer_next("not json")
    raw = requests.post(f"{sim.url}/openai/v1/chat/completions", json=chat, headers={"Authorization": "Bearer o-key"})
    assert raw.json()["choices"][0]["message"]["content"] == "not json"
