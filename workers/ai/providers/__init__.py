"""LLM providers behind one small interface: send a prompt, get back the model's JSON text.

`gemini` (Google's REST generateContent) and `openai` (any OpenAI-compatible chat-completions
endpoint, so self-hosted models work too), chosen by `AI_PROVIDER`.
"""

from __future__ import annotations

from typing import Protocol

import requests

from shared.metrics import UpstreamMeter
from shared.settings import Settings
from workers.ai.config import PROVIDER_GEMINI, PROVIDER_OPENAI, model_name
from workers.ai.deadline import Deadline
from workers.ai.errors import AiFailure, body_excerpt
from workers.ai.prompt import Prompt
from workers.ratelimit.slots import RateLimiter
from workers.upstream.http import RetryPolicy, request_with_retries

LLM_ATTEMPTS = 3
LLM_BASE_DELAY_S = 1.0
LLM_MAX_DELAY_S = 10.0
LLM_READ_TIMEOUT_S = 120.0
LLM_BACKOFF_RESERVE_S = 2 * LLM_MAX_DELAY_S
LLM_TEMPERATURE = 0.2


class Provider(Protocol):
    name: str

    def complete_json(self, prompt: Prompt, deadline: Deadline) -> str:
        """The model's answer text (meant to be JSON matching `prompt.schema`)."""


class HttpProvider:
    """What both providers share: one endpoint, a key, a model, the shared rate limit, retries."""

    name = ""
    label = ""  # how failure reasons name the upstream

    def __init__(self, http: requests.Session, url: str, api_key: str, model: str,
                 limiter: RateLimiter | None, meter: UpstreamMeter | None = None) -> None:
        self._http = http
        self._meter = meter
        self._url = url
        self._api_key = api_key
        self._model = model
        self._limiter = limiter

    def _post(self, body: dict, headers: dict[str, str], deadline: Deadline) -> dict:  # type: ignore[type-arg]
        response = request_with_retries(self._http, "POST", self._url, policy=retry_policy(deadline),
                                        limiter=self._limiter, describe=self.label, meter=self._meter, json=body, headers=headers)
        return json_body(response, self.label)


def make_provider(settings: Settings, http: requests.Session, limiter: RateLimiter | None,
                  meter: UpstreamMeter | None = None) -> Provider:
    from workers.ai.providers.gemini import GeminiProvider
    from workers.ai.providers.openai_compat import OpenAICompatibleProvider

    provider = settings.ai_provider.strip().lower()
    if provider == PROVIDER_GEMINI:
        return GeminiProvider(http, GeminiProvider.endpoint(settings.gemini_api_url, model_name(settings)),
                              settings.gemini_api_key, model_name(settings), limiter, meter)
    if provider == PROVIDER_OPENAI:
        return OpenAICompatibleProvider(http, OpenAICompatibleProvider.endpoint(settings.openai_base_url),
                                        settings.openai_api_key, model_name(settings), limiter, meter)
    raise AiFailure(f"unknown AI_PROVIDER {settings.ai_provider!r}")


def retry_policy(deadline: Deadline) -> RetryPolicy:
    read_timeout_s = deadline.read_timeout_s(LLM_READ_TIMEOUT_S, LLM_ATTEMPTS, LLM_BACKOFF_RESERVE_S)
    return RetryPolicy(attempts=LLM_ATTEMPTS, base_delay_s=LLM_BASE_DELAY_S, max_delay_s=LLM_MAX_DELAY_S,
                       read_timeout_s=read_timeout_s)


def json_body(response: requests.Response, provider: str) -> dict:  # type: ignore[type-arg]
    """The JSON body of a 200 answer; a clear failure for anything else."""
    if response.status_code in (401, 403):
        raise AiFailure(f"{provider} refused the credentials (HTTP {response.status_code}): "
                        f"{body_excerpt(response.text)}")
    if response.status_code != 200:
        raise AiFailure(f"{provider} answered HTTP {response.status_code}: {body_excerpt(response.text)}")
    try:
        body = response.json()
    except ValueError as exc:
        raise AiFailure(f"{provider} answered with a body that is not JSON: {body_excerpt(response.text)}") from exc
    if not isinstance(body, dict):
        raise AiFailure(f"{provider} answered with JSON that is not an object")
    return body
