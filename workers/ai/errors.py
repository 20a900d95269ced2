"""Why a call's AI processing failed; the message is what the call's `ai_error` shows."""

from __future__ import annotations

MAX_BODY_EXCERPT = 300


class AiFailure(Exception):
    """Processing this call cannot succeed now; the message says why (never a secret)."""


class InvalidAnswer(AiFailure):
    """The model answered, but not with what the prompt asked for."""


def body_excerpt(text: str) -> str:
    """The start of an upstream's error body, on one line, for a failure reason."""
    flat = " ".join(text.split())
    return flat[:MAX_BODY_EXCERPT] + ("…" if len(flat) > MAX_BODY_EXCERPT else "")
