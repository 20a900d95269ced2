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

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from shared.ai.limits import ai_task_limits
from shared.ai.queue import clear_queued, run_kwargs
from shared.catalog import AI_ANALYZE, AI_PROCESS_CALL, AI_TRANSCRIBE
from shared.leases.publish import publish_leased
from shared.metrics import UpstreamMeter
from shared.models import AiStatus
from shared.runs.cancel import is_cancelled
from workers.ai.answer import Evaluation, parse_answer
from workers.ai.config import configuration_problem
from workers.ai.deadline import Deadline
from workers.ai.errors import AiFailure, InvalidAnswer
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
from workers.ratelimit.slots import RateLimiter
from workers.upstream.http import UpstreamError, keep_alive_session

log = logging.getLogger(__name__)

# A call in one of these states may be (re)started; one being transcribed or analyzed, or done,
# is left alone (the API's reprocess puts a call back to `pending` first).
STARTABLE_STATUSES = frozenset({AiStatus.PENDING.value, AiStatus.FAILED.value, AiStatus.NOT_CONFIGURED.value,
                                AiStatus.SKIPPED.value, AiStatus.NO_SPEECH.value})
STT_LIMITER_NAME = "stt"
STT_UPSTREAM = "stt"  # how /metrics names the two AI upstreams
LLM_UPSTREAM = "llm"
DEADLINE_MARGIN_S = 2.0  # keep time to record the outcome before the soft limit strikes
RUN_CANCELLED = "not sent to {step}: its sync run {run_id} was cancelled; reprocess the call to analyze it"


def _result(call_id: int, status: str, **extra: Any) -> dict[str, Any]:
    return {"callId": call_id, "status": status, **extra}


@shared_task(name=AI_PROCESS_CALL, base=NavaiTask, bind=True)
def process_call(self: NavaiTask, call_id: int, run_id: str | None = None) -> dict[str, Any]:
    """Start the pipeline for one call, or record why it cannot run. `run_id`: the sync run that
    stored the call (passed on to each step; none when the API reprocesses a call)."""
    problem = configuration_problem(self.svc.settings)
    clear_queued(self.svc.redis, [call_id])  # no longer queued: from here its ai_status tells
    with self.session() as session:
        call = lock_call(session, call_id)
        if call is None:
            return _result(call_id, "missing")
        if call.ai_status not in STARTABLE_STATUSES:
            return _result(call_id, call.ai_status, note="already in progress or done; reprocess to run again")
        if run_id and is_cancelled(self.svc, run_id):
            set_status(session, call_id, AiStatus.SKIPPED, RUN_CANCELLED.format(step="speech-to-text", run_id=run_id))
            return _result(call_id, AiStatus.SKIPPED.value, cancelledRun=run_id)
        if problem:
            set_status(session, call_id, AiStatus.NOT_CONFIGURED, problem)
            return _result(call_id, AiStatus.NOT_CONFIGURED.value, error=problem)
        if not call.recording_path:
            set_status(session, call_id, AiStatus.SKIPPED, "the call has no recording")
            return _result(call_id, AiStatus.SKIPPED.value)
        set_status(session, call_id, AiStatus.PENDING)
    next_task_id = publish_leased(self.svc, AI_TRANSCRIBE, args=[call_id], kwargs=run_kwargs(run_id))
    return _result(call_id, "queued", taskId=next_task_id)


@shared_task(name=AI_TRANSCRIBE, base=NavaiTask, bind=True)
def transcribe(self: NavaiTask, call_id: int, run_id: str | None = None) -> dict[str, Any]:
    """Speech-to-text of the call's recording; stores the segments, then queues the analysis."""
    return (_skipped_if_cancelled(self, call_id, run_id, "speech-to-text")
            or _run_step(self, call_id, lambda deadline: _transcribe(self, call_id, deadline, run_id)))


def _transcribe(task: NavaiTask, call_id: int, deadline: Deadline, run_id: str | None = None) -> dict[str, Any]:
    settings, storage = task.svc.settings, task.svc.storage
    with task.session() as session:
        call = set_status(session, call_id, AiStatus.TRANSCRIBING)
        if call is None:
            return _result(call_id, "missing")
        transcript_kept = has_transcript(session, call_id)
        key = call.recording_path
    size = storage.size(key) if key else None
    if key and size is not None:
        limiter = RateLimiter(task.svc.redis, STT_LIMITER_NAME, settings.stt_rate_limit)
        stt = SttRequest(settings.stt_api_url, settings.stt_language, settings.stt_api_key, settings.stt_timeout_s)
        try:
            segments = transcribe_audio(keep_alive_session(), stt, Audio(storage, key, size), limiter, deadline,
                                        UpstreamMeter(task.svc.redis, STT_UPSTREAM))
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
    next_task_id = publish_leased(task.svc, AI_ANALYZE, args=[call_id], kwargs=run_kwargs(run_id))
    return _result(call_id, AiStatus.ANALYZING.value, taskId=next_task_id)


@shared_task(name=AI_ANALYZE, base=NavaiTask, bind=True)
def analyze(self: NavaiTask, call_id: int, run_id: str | None = None) -> dict[str, Any]:
    """Score the transcript against the organization's criteria and store the evaluation."""
    return (_skipped_if_cancelled(self, call_id, run_id, "the model")
            or _run_step(self, call_id, lambda deadline: _analyze(self, call_id, deadline)))


def _skipped_if_cancelled(task: NavaiTask, call_id: int, run_id: str | None, step: str) -> dict[str, Any] | None:
    """A step not started when the sync run that stored its call was cancelled is not sent
    upstream: the call ends `skipped`, saying why (what an earlier step stored is kept; a call
    already done stays done). Reprocessing runs it again: the API's reprocess names no run."""
    if not run_id or not is_cancelled(task.svc, run_id):
        return None
    with task.session() as session:
        call = lock_call(session, call_id)
        if call is not None and call.ai_status != AiStatus.DONE.value:
            set_status(session, call_id, AiStatus.SKIPPED, RUN_CANCELLED.format(step=step, run_id=run_id))
    log.info("call %s: %s skipped, run %s was cancelled", call_id, task.name, run_id)
    return _result(call_id, AiStatus.SKIPPED.value, cancelledRun=run_id)


def _analyze(task: NavaiTask, call_id: int, deadline: Deadline) -> dict[str, Any]:
    settings = task.svc.settings
    with task.session() as session:
        call = set_status(session, call_id, AiStatus.ANALYZING)
        if call is None:
            return _result(call_id, "missing")
        source = analysis_input(session, call, settings.stt_language)
        key = call.recording_path
    if not source.transcript:
        raise AiFailure("there is no transcript to analyze; reprocess the call")
    prompt = build_prompt(source.criteria, source.max_score, source.transcript, source.language)
    provider_name = settings.ai_provider.strip().lower()
    limiter = RateLimiter(task.svc.redis, f"ai:{provider_name}", settings.ai_rate_limit)
    provider = make_provider(settings, keep_alive_session(), limiter, UpstreamMeter(task.svc.redis, LLM_UPSTREAM))
    evaluation = evaluate(provider, prompt, source, deadline)
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
        task.svc.storage.delete(key)
    except Exception as exc:  # the analysis is stored; an object left behind is only space
        log.warning("could not delete %s after analysis: %s", key, exc)


def _run_step(task: NavaiTask, call_id: int, step: Callable[[Deadline], dict[str, Any]]) -> dict[str, Any]:
    """Run one pipeline step; record a failure, with its reason, on the call."""
    settings = task.svc.settings
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
