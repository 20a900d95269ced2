"""Any OpenAI-compatible chat-completions endpoint: `POST {OPENAI_BASE_URL}/chat/completions`.

Works with OpenAI itself and with self-hosted servers (vLLM, llama.cpp, Ollama, LiteLLM...). The
answer is constrained with `response_format` `json_schema` (strict); the key, when set, is a
Bearer token (self-hosted servers often need none).
"""

from __future__ import annotations

from typing import Any

from workers.ai.deadline import Deadline
from workers.ai.errors import InvalidAnswer
from workers.ai.prompt import Prompt
from workers.ai.providers import LLM_TEMPERATURE, HttpProvider

SCHEMA_NAME = "call_evaluation"


class OpenAICompatibleProvider(HttpProvider):
    name = "openai"
    label = "chat completions"

    @staticmethod
    def endpoint(base_url: str) -> str:
        return f"{base_url.rstrip('/')}/chat/completions"

    def complete_json(self, prompt: Prompt, deadline: Deadline) -> str:
        body = {
            "model": self._model,
            "temperature": LLM_TEMPERATURE,
            "messages": [{"role": "system", "content": prompt.system},
                         {"role": "user", "content": prompt.user}],
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": prompt.schema}},
        }
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return answer_text(self._post(body, headers, deadline))


def answer_text(body: dict[str, Any]) -> str:
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        raise InvalidAnswer("the model returned no choices")
    choice = choices[0]
    message = choice.get("message") or {}
    if message.get("refusal"):
        raise InvalidAnswer(f"the model refused: {message['refusal']}")
    if choice.get("finish_reason") == "length":
        raise InvalidAnswer("the model's answer was cut off (finish_reason length)")
    content = message.get("content")
    if isinstance(content, list):  # some servers return content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    if not isinstance(content, str) or not content.strip():
        raise InvalidAnswer("the model returned an empty answer")
    return content
