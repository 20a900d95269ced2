"""Is the AI pipeline configured, and with which provider?"""

from __future__ import annotations

from shared.settings import Settings

PROVIDER_GEMINI = "gemini"
PROVIDER_OPENAI = "openai"
PROVIDERS = (PROVIDER_GEMINI, PROVIDER_OPENAI)
DEFAULT_GEMINI_MODEL = "gemini-2.5-flash"


def configuration_problem(settings: Settings) -> str | None:
    """What is missing for the pipeline to run, in words an operator can act on; None when ready."""
    missing: list[str] = []
    if not settings.stt_api_url:
        missing.append("STT_API_URL is not set")
    provider = settings.ai_provider.strip().lower()
    if not provider:
        missing.append("AI_PROVIDER is not set (gemini or openai)")
    elif provider not in PROVIDERS:
        missing.append(f"AI_PROVIDER {settings.ai_provider!r} is not one of {', '.join(PROVIDERS)}")
    elif provider == PROVIDER_GEMINI and not settings.gemini_api_key:
        missing.append("GEMINI_API_KEY is not set")
    elif provider == PROVIDER_OPENAI:
        if not settings.openai_base_url:
            missing.append("OPENAI_BASE_URL is not set")
        if not settings.ai_model:
            missing.append("AI_MODEL is not set (needed for the OpenAI-compatible provider)")
    return "; ".join(missing) if missing else None


def model_name(settings: Settings) -> str:
    if settings.ai_model:
        return settings.ai_model
    return DEFAULT_GEMINI_MODEL
