"""Google Gemini through its REST API: `POST {GEMINI_API_URL}/models/{model}:generateContent`.

The key goes in the `x-goog-api-key` header, never in the URL (URLs end up in logs and error
messages). The answer is constrained with `generationConfig.responseMimeType` =
`application/json` and `responseSchema` (Gemini's OpenAPI-subset schema).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from workers.ai.deadline import Deadline
from workers.ai.errors import InvalidAnswer
from workers.ai.prompt import Prompt
from workers.ai.providers import LLM_TEMPERATURE, HttpProvider

# Schema keywords Gemini's responseSchema understands; the rest of JSON Schema is left out.
_GEMINI_SCHEMA_KEYS = ("description", "minimum", "maximum", "required", "enum", "format")


class GeminiProvider(HttpProvider):
    name = "gemini"
    label = "Gemini generateContent"

    @staticmethod
    def endpoint(api_url: str, model: str) -> str:
        return f"{api_url.rstrip('/')}/models/{quote(model, safe='')}:generateContent"

    def complete_json(self, prompt: Prompt, deadline: Deadline) -> str:
        body = {
            "systemInstruction": {"parts": [{"text": prompt.system}]},
            "contents": [{"role": "user", "parts": [{"text": prompt.user}]}],
            "generationConfig": {
                "temperature": LLM_TEMPERATURE,
                "responseMimeType": "application/json",
                "responseSchema": gemini_schema(prompt.schema),
            },
        }
        return answer_text(self._post(body, {"x-goog-api-key": self._api_key}, deadline))


def answer_text(body: dict[str, Any]) -> str:
    """The text of the first candidate; an InvalidAnswer when the model gave none."""
    block = (body.get("promptFeedback") or {}).get("blockReason")
    if block:
        raise InvalidAnswer(f"Gemini blocked the prompt ({block})")
    candidates = body.get("candidates") or []
    if not candidates:
        raise InvalidAnswer("Gemini returned no candidates")
    candidate = candidates[0]
    parts = (candidate.get("content") or {}).get("parts") or []
    text = "".join(part.get("text", "") for part in parts if isinstance(part, dict) and not part.get("thought"))
    finish = candidate.get("finishReason")
    if finish not in (None, "STOP"):
        raise InvalidAnswer(f"Gemini stopped early ({finish})")
    if not text.strip():
        raise InvalidAnswer("Gemini returned an empty answer")
    return text


def gemini_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Translate our JSON Schema into Gemini's dialect: upper-case types, known keywords only,
    and `propertyOrdering` so the model writes the fields in our order."""
    result: dict[str, Any] = {"type": str(schema["type"]).upper()}
    for key in _GEMINI_SCHEMA_KEYS:
        if key in schema:
            result[key] = schema[key]
    if "properties" in schema:
        result["properties"] = {name: gemini_schema(sub) for name, sub in schema["properties"].items()}
        result["propertyOrdering"] = list(schema["properties"])
    if "items" in schema:
        result["items"] = gemini_schema(schema["items"])
    return result
