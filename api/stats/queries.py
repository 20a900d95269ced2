"""The SQL aggregates behind `/stats/*`.

Call counts and talk time come from the call log (every exported call, missed ones included);
scores and violations from the stored, scored calls (`calls`, `call_scores`, `violations`). Both
are read through their (organization_id, started_at) indexes for the window, and every figure is
one grouped aggregate: no row goes to Python but the per-group results.

Scores are converted to the organization's scale: a call scored out of 10 counts as 80 for 8/10
in an organization that now scores out of 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, cast, func, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.types import Date, Float

from api.stats.window import Window
from shared.models import Call, CallLogEntry, CallScore, Criterion, Violation

ANSWERED = "answered"
MISSED = "missed"
INCOMING = "incoming"
OUTGOING = "outgoing"
SCORE_DECIMALS = 2
TALK_DECIMALS = 1


@dataclass(frozen=True)
class Scope:
    """Whose figures: an organization, maybe one employee, over a window, on a score scale."""

    organization_id: int
    window: Window
    scale: int
    employee_id: int | None = None
    dialect: str = "postgresql"


# --- building blocks -------------------------------------------------------------------------------

def _in_scope(table: type[CallLogEntry] | type[Call], scope: Scope) -> ColumnElement[bool]:
    """Rows of `table` (the call log or the scored calls) in the scope's organization, window and,
    for one employee's figures, of that employee."""
    condition = and_(table.organization_id == scope.organization_id, table.started_at >= scope.window.start_utc,
                     table.started_at < scope.window.end_utc)
    if scope.employee_id is not None:
        condition = and_(condition, table.employee_id == scope.employee_id)
    return condition


def _log_filter(scope: Scope) -> ColumnElement[bool]:
    return _in_scope(CallLogEntry, scope)


def _scored_filter(scope: Scope) -> ColumnElement[bool]:
    return _in_scope(Call, scope)


def _scaled_overall(scope: Scope) -> ColumnElement[Any]:
    """`overall_score` on the organization's scale (calls scored before `score_max` existed count
    as already on it)."""
    return cast(Call.overall_score, Float) * scope.scale / func.coalesce(Call.score_max, scope.scale)


def _local_day(scope: Scope, column: Any) -> ColumnElement[Any]:
    """The calendar day of a UTC moment in the organization's zone. PostgreSQL converts each row
    exactly (DST included); SQLite (the local demo) applies the zone's offset at the window start."""
    if scope.dialect == "postgresql":
        return cast(func.timezone(scope.window.time_zone, column), Date)
    offset = ZoneInfo(scope.window.time_zone).utcoffset(datetime.combine(scope.window.first_day, datetime.min.time()))
    seconds = int((offset or timedelta()).total_seconds())
    return func.date(column, f"{seconds:+d} seconds")


def _log_figures(*, with_directions: bool = False) -> list[Any]:
    """Counts and talk time of call-log rows; directions and average talk only where shown (each
    aggregate costs time on every row of the window)."""
    table = CallLogEntry
    figures = [
        func.count().label("calls"),
        func.count().filter(table.status == ANSWERED).label("answered"),
        func.count().filter(table.status == MISSED).label("missed"),
        func.coalesce(func.sum(table.talk_duration_s), 0).label("talk"),
    ]
    if with_directions:
        figures += [func.count().filter(table.direction == INCOMING).label("incoming"),
                    func.count().filter(table.direction == OUTGOING).label("outgoing"),
                    func.avg(table.talk_duration_s).filter(table.status == ANSWERED).label("avg_talk")]
    return figures


def _score_figures(scope: Scope) -> list[Any]:
    scaled = _scaled_overall(scope)
    return [func.count().label("scored"), func.avg(scaled).label("avg"), func.max(scaled).label("best"),
            func.min(scaled).label("worst")]


def _scored_calls(scope: Scope, *columns: Any) -> Select[Any]:
    return select(*columns).where(_scored_filter(scope), Call.overall_score.is_not(None))


def _violations(scope: Scope, *group: Any) -> Select[Any]:
    return (select(*group, func.count().label("violations")).select_from(Violation)
            .join(Call, Call.id == Violation.call_id).where(_scored_filter(scope)))


def _round(value: Any, digits: int = SCORE_DECIMALS) -> float | None:
    return None if value is None else round(float(value), digits)


# --- the figures -----------------------------------------------------------------------------------

def overview(session: Session, scope: Scope) -> dict[str, Any]:
    log = session.execute(select(*_log_figures(with_directions=True)).where(_log_filter(scope))).one()
    scores = session.execute(_scored_calls(scope, *_score_figures(scope))).one()
    violations = session.scalar(_violations(scope)) or 0
    return {"calls": log.calls, "answered": log.answered, "missed": log.missed, "incoming": log.incoming,
            "outgoing": log.outgoing, "talkTimeS": int(log.talk), "avgTalkTimeS": _round(log.avg_talk, TALK_DECIMALS),
            "scoredCalls": scores.scored, "avgScore": _round(scores.avg), "violations": violations}


def employee_figures(session: Session, scope: Scope) -> dict[int, dict[str, Any]]:
    """Figures per employee id (only employees with calls or scores in the window)."""
    figures: dict[int, dict[str, Any]] = {}

    def row(employee_id: int) -> dict[str, Any]:
        return figures.setdefault(employee_id, empty_employee_figures())

    log_rows = session.execute(select(CallLogEntry.employee_id, *_log_figures())
                               .where(_log_filter(scope), CallLogEntry.employee_id.is_not(None))
                               .group_by(CallLogEntry.employee_id))
    for item in log_rows:
        row(item.employee_id).update(calls=item.calls, answered=item.answered, missed=item.missed,
                                     talkTimeS=int(item.talk))
    score_rows = session.execute(_scored_calls(scope, Call.employee_id, *_score_figures(scope))
                                 .where(Call.employee_id.is_not(None)).group_by(Call.employee_id))
    for item in score_rows:
        row(item.employee_id).update(scoredCalls=item.scored, avgScore=_round(item.avg),
                                     bestScore=_round(item.best), worstScore=_round(item.worst))
    for employee_id, count in session.execute(_violations(scope, Call.employee_id)
                                              .where(Call.employee_id.is_not(None)).group_by(Call.employee_id)):
        row(employee_id)["violations"] = count
    return figures


def empty_employee_figures() -> dict[str, Any]:
    return {"calls": 0, "answered": 0, "missed": 0, "talkTimeS": 0, "scoredCalls": 0, "avgScore": None,
            "bestScore": None, "worstScore": None, "violations": 0}


def daily(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """One row per day of the window, days without calls included."""
    by_day: dict[date, dict[str, Any]] = {
        day: {"date": day.isoformat(), "calls": 0, "answered": 0, "missed": 0, "talkTimeS": 0, "avgScore": None}
        for day in scope.window.days()}
    log_day = _local_day(scope, CallLogEntry.started_at).label("day")
    for item in session.execute(select(log_day, *_log_figures()).where(_log_filter(scope)).group_by(log_day)):
        entry = by_day.get(_as_date(item.day))
        if entry is not None:
            entry.update(calls=item.calls, answered=item.answered, missed=item.missed, talkTimeS=int(item.talk))
    call_day = _local_day(scope, Call.started_at).label("day")
    scores = session.execute(_scored_calls(scope, call_day, func.avg(_scaled_overall(scope)).label("avg"))
                             .group_by(call_day))
    for item in scores:
        entry = by_day.get(_as_date(item.day))
        if entry is not None:
            entry["avgScore"] = _round(item.avg)
    return list(by_day.values())


def criteria(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per criterion of the organization (active ones, and archived ones scored in the window)."""
    per_criterion = _criterion_scores(scope).subquery()
    rows = session.execute(
        select(Criterion.id, Criterion.name, Criterion.weight, per_criterion.c.scored, per_criterion.c.avg)
        .outerjoin(per_criterion, per_criterion.c.criterion_id == Criterion.id)
        .where(Criterion.organization_id == scope.organization_id,
               Criterion.is_active | per_criterion.c.scored.is_not(None))
        .order_by(Criterion.id))
    return [{"criterionId": item.id, "name": item.name, "weight": item.weight, "scoredCalls": item.scored or 0,
             "avgScore": _round(item.avg)} for item in rows]


def _criterion_scores(scope: Scope) -> Select[Any]:
    """Scores per criterion of the window's calls. On PostgreSQL each call's scores are fetched
    through the (call_id, criterion_id) index: a LATERAL subquery kept apart by `OFFSET 0`, which
    the planner cannot flatten into a hash join over the whole `call_scores` table (that join
    grows with the organization's history, not with the window)."""
    if scope.dialect == "postgresql":
        scores = (select(CallScore.criterion_id, CallScore.score, CallScore.max_score)
                  .where(CallScore.call_id == Call.id).offset(0).lateral("scores"))
        source = select(Call.id).select_from(Call).join(scores, true()).where(_scored_filter(scope))
        criterion_id, score, max_score = scores.c.criterion_id, scores.c.score, scores.c.max_score
    else:
        source = select(Call.id).select_from(CallScore).join(Call, Call.id == CallScore.call_id).where(
            _scored_filter(scope))
        criterion_id, score, max_score = CallScore.criterion_id, CallScore.score, CallScore.max_score
    scaled = cast(score, Float) * scope.scale / max_score
    return (source.with_only_columns(criterion_id.label("criterion_id"), func.count().label("scored"),
                                     func.avg(scaled).label("avg"), maintain_column_froms=True)
            .group_by(criterion_id))


def prepare(session: Session) -> None:
    """Statistics are short aggregates over one window: PostgreSQL's JIT compilation, triggered
    by the large row estimates of a big organization, costs more than it saves (~30 ms each)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


__all__ = ["Scope", "criteria", "daily", "employee_figures", "empty_employee_figures", "overview", "prepare"]
