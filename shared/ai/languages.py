"""The languages a call is analysed in: the prompt is written in one, and asks for the answer in it.

Each organization picks its own (`organizations.analysis_language`, `analysisLanguage` in
`GET/PATCH /settings`); one that has not picked follows the deployment's `STT_LANGUAGE`, and a
deployment whose `STT_LANGUAGE` is none of these gets English (the prompt exists in these
languages only). The API validates and shows it; the AI worker writes the prompt in it.
"""

from __future__ import annotations

from typing import Literal, get_args

AnalysisLanguage = Literal["uz", "ru", "en"]
ANALYSIS_LANGUAGES: tuple[str, ...] = get_args(AnalysisLanguage)
# For an STT_LANGUAGE the prompt is not written in (e.g. "kk"): the language every model reads best.
FALLBACK_ANALYSIS_LANGUAGE = "en"


def default_analysis_language(stt_language: str) -> str:
    """The language of an organization that has not picked one: STT_LANGUAGE's, if the prompt has it."""
    language = stt_language.strip().lower()
    return language if language in ANALYSIS_LANGUAGES else FALLBACK_ANALYSIS_LANGUAGE


def analysis_language(chosen: str | None, stt_language: str) -> str:
    """The language calls of an organization are analysed in: its own choice, else the default."""
    return chosen if chosen in ANALYSIS_LANGUAGES else default_analysis_language(stt_language)
