"""The AI tasks, on the `ai` queue: `ai.process_call` → `ai.transcribe` → `ai.analyze`.

`ai.process_call(call_id)` is the entry point (the Sipuni sync sends it for every stored call; the
API sends it to reprocess). Each task records its state on the call (`ai_status`, `ai_error`) and
is safe to run twice: results are replaced as a whole (workers.ai.store). The audio is read from
storage (STORAGE_URL; any host) and stays there until the analysis is stored, so a failed or
interrupted call can always be processed again. An empty transcript ends at `no_speech`, without
asking the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import requests
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from shared.ai_queue import clear_queued
from shared.models import AiStatus
from shared.ratelimit import RateLimiter
from workers.ai.answer import Evaluation, parse_answer
from workers.ai.config import configuration_problem
from workers.ai.errors import AiFailure, InvalidAnswer
from workers.ai.limits import TASK_ANALYZE, TASK_TRANSCRIBE, Deadline, ai_task_limits
from workers.ai.prompt import Prompt, build_prompt, with_correction
from workers.ai.providers import Provider, make_provider
from workers.ai.store import (
    AnalysisInput,
    analysis_input,
    has_transcript,
    lock_call,
    replace_evaluation,
    replace_transcript,
    set_status,
)
from workers.ai.stt import Audio, NoSpeech, SttRequest, transcribe_audio
from workers.base import NavaiTask
from workers.recovery.registry import lease_task
from workers.upstream_http import UpstreamError

log = logging.getLogger(__name__)

TASK_PROCESS_CALL = "ai.process_call"
# A call in one of these states may be (re)started; one being transcribed or analyzed, or done,
# is left alone (the API's reprocess puts a call back to `pending` first).
STARTABLE_STATUSES = frozenset({AiStatus.PENDING.value, AiStatus.FAILED.value, AiStatus.NOT_CONFIGURED.value,
                                AiStatus.SKIPPED.value, AiStatus.NO_SPEECH.value})
STT_LIMITER_NAME = "stt"
LEASE_KIND = "ai"  # the lease kind of AI units (workers.recovery)
DEADLINE_MARGIN_S = 2.0  # keep time to record the outcome before the soft limit strikes


def _result(call_id: int, status: str, **extra: Any) -> dict[str, Any]:
    return {"callId": call_id, "status": status, **extra}


@shared_task(name=TASK_PROCESS_CALL, base=NavaiTask, bind=True)
def process_call(self: NavaiTask, call_id: int) -> dict[str, Any]:
    """Start the pipeline for one call, or record why it cannot run."""
    problem = configuration_problem(self.ctx.settings)
    clear_queued(self.ctx.redis, [call_id])  # no longer queued: from here its ai_status tells
    with self.session() as session:
        call = lock_call(session, call_id)
        if call is None:
            return _result(call_id, "missing")
        if call.ai_status not in STARTABLE_STATUSES:
            return _result(call_id, call.ai_status, note="already in progress or done; reprocess to run again")
        if problem:
            set_status(session, call_id, AiStatus.NOT_CONFIGURED, problem)
            return _result(call_id, AiStatus.NOT_CONFIGURED.value, error=problem)
        if not call.recording_path:
            set_status(session, call_id, AiStatus.SKIPPED, "the call has no recording")
            return _result(call_id, AiStatus.SKIPPED.value)
        set_status(session, call_id, AiStatus.PENDING)
    next_task = self.app.send_task(TASK_TRANSCRIBE, args=[call_id])
    return _result(call_id, "queued", taskId=next_task.id)


@shared_task(name=TASK_TRANSCRIBE, base=NavaiTask, bind=True)
def transcribe(self: NavaiTask, call_id: int) -> dict[str, Any]:
    """Speech-to-text of the call's recording; stores the segments, then queues the analysis."""
    return _run_step(self, call_id, lambda deadline: _transcribe(self, call_id, deadline))


def _transcribe(task: NavaiTask, call_id: int, deadline: Deadline) -> dict[str, Any]:
    settings, storage = task.ctx.settings, task.ctx.storage
    with task.session() as session:
        call = set_status(session, call_id, AiStatus.TRANSCRIBING)
        if call is None:
            return _result(call_id, "missing")
        transcript_kept = has_transcript(session, call_id)
        key = call.recording_path
    size = storage.size(key) if key else None
    if key and size is not None:
        limiter = RateLimiter(task.ctx.redis, STT_LIMITER_NAME, settings.stt_rate_limit)
        stt = SttRequest(settings.stt_api_url, settings.stt_language, settings.stt_api_key, settings.stt_timeout_s)
        try:
            with requests.Session() as http:
                segments = transcribe_audio(http, stt, Audio(storage, key, size), limiter, deadline)
        except NoSpeech as nothing_said:
            with task.session() as session:
                set_status(session, call_id, AiStatus.NO_SPEECH, str(nothing_said))
            return _result(call_id, AiStatus.NO_SPEECH.value)
        with task.session() as session:
            replace_transcript(session, call_id, segments)
    elif transcript_kept:
        # The audio was deleted after an earlier analysis (DELETE_AUDIO_AFTER_ANALYSIS): the
        # transcript made from it stands, and the analysis can run again on it.
        with task.session() as session:
            set_status(session, call_id, AiStatus.ANALYZING)
    else:
        raise AiFailure(f"the recording is missing from storage ({key or 'no recording'})")
    next_task = task.app.send_task(TASK_ANALYZE, args=[call_id])
    return _result(call_id, AiStatus.ANALYZING.value, taskId=next_task.id)


@shared_task(name=TASK_ANALYZE, base=NavaiTask, bind=True)
def analyze(self: NavaiTask, call_id: int) -> dict[str, Any]:
    """Score the transcript against the organization's criteria and store the evaluation."""
    return _run_step(self, call_id, lambda deadline: _analyze(self, call_id, deadline))


def _analyze(task: NavaiTask, call_id: int, deadline: Deadline) -> dict[str, Any]:
    settings = task.ctx.settings
    with task.session() as session:
        call = set_status(session, call_id, AiStatus.ANALYZING)
        if call is None:
            return _result(call_id, "missing")
        source = analysis_input(session, call)
        key = call.recording_path
    if not source.transcript:
        raise AiFailure("there is no transcript to analyze; reprocess the call")
    prompt = build_prompt(source.criteria, source.max_score, source.transcript, settings.stt_language)
    provider_name = settings.ai_provider.strip().lower()
    limiter = RateLimiter(task.ctx.redis, f"ai:{provider_name}", settings.ai_rate_limit)
    with requests.Session() as http:
        evaluation = evaluate(make_provider(settings, http, limiter), prompt, source, deadline)
    with task.session() as session:
        replace_evaluation(session, call_id, evaluation, source)
    if settings.delete_audio_after_analysis and key:
        _delete_audio(task, key)
    return _result(call_id, AiStatus.DONE.value, overallScore=evaluation.overall_score)


def evaluate(provider: Provider, prompt: Prompt, source: AnalysisInput, deadline: Deadline) -> Evaluation:
    """Ask the model; an answer that does not validate is asked for once more, with the reason."""
    try:
        return parse_answer(provider.complete_json(prompt, deadline), source.criteria, source.max_score)
    except InvalidAnswer as exc:
        first_reason = str(exc)
    log.warning("invalid model answer, asking again: %s", first_reason)
    try:
        return parse_answer(provider.complete_json(with_correction(prompt, first_reason), deadline),
                            source.criteria, source.max_score)
    except InvalidAnswer as second:
        raise InvalidAnswer(f"the model's answer was invalid twice: {second} (first: {first_reason})") from second


def _delete_audio(task: NavaiTask, key: str) -> None:
    try:
        task.ctx.storage.delete(key)
    except Exception as exc:  # the analysis is stored; an object left behind is only space
        log.warning("could not delete %s after analysis: %s", key, exc)


def _run_step(task: NavaiTask, call_id: int, step: Callable[[Deadline], dict[str, Any]]) -> dict[str, Any]:
    """Run one pipeline step; record a failure, with its reason, on the call."""
    settings = task.ctx.settings
    problem = configuration_problem(settings)
    if problem:
        with task.session() as session:
            set_status(session, call_id, AiStatus.NOT_CONFIGURED, problem)
        return _result(call_id, AiStatus.NOT_CONFIGURED.value, error=problem)
    limits = ai_task_limits(settings, task.name)
    try:
        return step(Deadline(limits.soft_s - DEADLINE_MARGIN_S))
    except (AiFailure, UpstreamError) as exc:
        reason = str(exc)
    except SoftTimeLimitExceeded:
        reason = f"{task.name} timed out after {limits.soft_s}s; reprocess the call to try again"
    except Exception as exc:
        _record_failure(task, call_id, f"internal error in {task.name}: {type(exc).__name__}: {exc}")
        raise
    _record_failure(task, call_id, reason)
    return _result(call_id, AiStatus.FAILED.value, error=reason)


def _record_failure(task: NavaiTask, call_id: int, reason: str) -> None:
    log.warning("call %s: %s failed: %s", call_id, task.name, reason)
    with task.session() as session:
        set_status(session, call_id, AiStatus.FAILED, reason)


# --- leased units (workers.recovery) ---------------------------------------------------------------
# One unit per call and step: a step whose worker dies (or that is killed by the hard time limit)
# is published again by the recovery sweeper; given up, the call is `failed` with the reason.

def _abandon_step(ctx: Any, app: Any, spec: Any, message: str) -> None:
    from shared.db import session_scope

    with session_scope(ctx.session_factory) as session:
        set_status(session, int(spec.args[0]), AiStatus.FAILED, f"{spec.task}: {message}")


for _name in (TASK_PROCESS_CALL, TASK_TRANSCRIBE, TASK_ANALYZE):
    lease_task(_name, kind=LEASE_KIND, abandon=_abandon_step,
               unit_of=lambda call_id, _step=_name.split(".")[1]: f"{call_id}:{_step}")
