"""The database side of the pipeline: status changes, and results replaced as a whole.

Each write of results locks the call's row (SELECT ... FOR UPDATE on PostgreSQL; SQLite
serializes writers anyway), deletes that call's earlier rows and inserts the new ones in the same
transaction: a retried or duplicated task replaces, never adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.ai.languages import analysis_language
from shared.models import (
    MAX_SCORE_BY_MODE,
    AiStatus,
    Call,
    CallScore,
    Criterion,
    Organization,
    TranscriptSegment,
    Violation,
)
from workers.ai.answer import Evaluation
from workers.ai.prompt import CriterionSpec, TranscriptLine
from workers.ai.stt import Segment

MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class AnalysisInput:
    criteria: list[CriterionSpec]
    max_score: int
    transcript: list[TranscriptLine]
    language: str  # the organization's analysis language (shared.ai.languages)


def lock_call(session: Session, call_id: int) -> Call | None:
    return session.get(Call, call_id, with_for_update=True)


def set_status(session: Session, call_id: int, status: AiStatus, error: str | None = None) -> Call | None:
    call = lock_call(session, call_id)
    if call is not None:
        call.ai_status = status.value
        call.ai_error = error[:MAX_ERROR_LENGTH] if error else None
    return call


def has_transcript(session: Session, call_id: int) -> bool:
    return session.scalar(select(TranscriptSegment.id).where(TranscriptSegment.call_id == call_id).limit(1)) \
        is not None


def replace_transcript(session: Session, call_id: int, segments: Sequence[Segment]) -> None:
    """Store the segments and the flat transcript, and hand the call on to analysis."""
    call = lock_call(session, call_id)
    if call is None:
        return
    session.execute(delete(TranscriptSegment).where(TranscriptSegment.call_id == call_id))
    session.add_all(TranscriptSegment(call_id=call_id, position=position, speaker=segment.speaker,
                                      text=segment.text, start_ms=segment.start_ms, end_ms=segment.end_ms)
                    for position, segment in enumerate(segments))
    call.transcript = "\n".join(f"[{segment.speaker}]: {segment.text}" for segment in segments)
    call.ai_status = AiStatus.ANALYZING.value
    call.ai_error = None


def analysis_input(session: Session, call: Call, stt_language: str) -> AnalysisInput:
    """What the analysis of `call` needs; `stt_language` (STT_LANGUAGE) is the language of an
    organization that has not picked one."""
    organization = session.get(Organization, call.organization_id)
    mode = organization.scoring_mode if organization is not None else "TEN"
    chosen = organization.analysis_language if organization is not None else None
    criteria = session.scalars(select(Criterion).where(
        Criterion.organization_id == call.organization_id, Criterion.is_active.is_(True)).order_by(Criterion.id))
    segments = session.scalars(select(TranscriptSegment).where(TranscriptSegment.call_id == call.id)
                               .order_by(TranscriptSegment.position))
    return AnalysisInput(
        criteria=[CriterionSpec(c.id, c.name, c.weight, c.description) for c in criteria],
        max_score=MAX_SCORE_BY_MODE.get(mode, MAX_SCORE_BY_MODE["TEN"]),
        transcript=[TranscriptLine(s.speaker, s.text, s.start_ms) for s in segments],
        language=analysis_language(chosen, stt_language),
    )


def replace_evaluation(session: Session, call_id: int, evaluation: Evaluation, source: AnalysisInput) -> None:
    """Store scores, violations and summary; the call is done."""
    call = lock_call(session, call_id)
    if call is None:
        return
    session.execute(delete(CallScore).where(CallScore.call_id == call_id))
    session.execute(delete(Violation).where(Violation.call_id == call_id))
    weights = {criterion.id: criterion.weight for criterion in source.criteria}
    session.add_all(CallScore(call_id=call_id, criterion_id=criterion_id, score=score, max_score=source.max_score,
                              weight=weights[criterion_id]) for criterion_id, score in evaluation.scores.items())
    session.add_all(Violation(call_id=call_id, position=position, description=violation.description,
                              timestamp=violation.timestamp, timestamp_ms=violation.timestamp_ms)
                    for position, violation in enumerate(evaluation.violations))
    call.summary = evaluation.summary
    call.overall_score = evaluation.overall_score
    call.score_max = source.max_score
    call.ai_status = AiStatus.DONE.value
    call.ai_error = None
