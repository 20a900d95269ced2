"""The SQL aggregates behind `/stats/*`.

Call counts and talk time come from the call log (every exported call, missed ones included);
scores and violations from the stored, scored calls (`calls`, `call_scores`, `violations`). Both
are read through their (organization_id, started_at) indexes for the window, and every figure is
one grouped aggregate: no row goes to Python but the per-group results. Days, months and hours of
the day are the organization's, grouped as `api.stats.buckets` says.

Scores are converted to the organization's scale: a call scored out of 10 counts as 80 for 8/10
in an organization that now scores out of 100.

`extCode` limits every figure to one extension: call-log rows carry their extension; a scored call
is on it when its call-log row (the same Sipuni record, found through the log's unique
(organization_id, record_id) key) is, so counts and scores describe the same calls.

A team (`branchId`, `departmentId`, a MANAGER's `managedDepartmentId`: `api.teams.scope`) limits
every figure to the calls credited to its members: call-log rows and scored calls whose employee
is in one of its departments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, func, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.types import Float

from api.stats import buckets
from api.stats.buckets import Buckets
from api.stats.window import Window
from api.teams.scope import Team
from shared.models import Call, CallLogEntry, CallScore, Criterion, User, Violation

ANSWERED = "answered"
MISSED = "missed"
INCOMING = "incoming"
OUTGOING = "outgoing"
SCORE_DECIMALS = 2
TALK_DECIMALS = 1
LOG_MATCH_MARGIN = timedelta(days=1)  # see _on_extension
DAILY_FIELDS = ("calls", "answered", "missed", "talkTimeS", "avgScore")  # what a day of /stats/daily shows


@dataclass(frozen=True)
class Scope:
    """Whose figures: an organization, maybe one employee or one extension, over a window, on a
    score scale."""

    organization_id: int
    window: Window
    scale: int
    employee_id: int | None = None
    dialect: str = "postgresql"
    ext_code: str | None = None
    team: Team | None = None  # only the calls of these departments' members

    def over(self, window: Window) -> Scope:
        """The same figures over another window (a period and the one it is compared with)."""
        return replace(self, window=window)


# --- building blocks -------------------------------------------------------------------------------

def _in_scope(table: type[CallLogEntry | Call], scope: Scope) -> ColumnElement[bool]:
    """Rows of `table` (the call log or the scored calls) in the scope's organization, window and,
    for one employee's or one extension's figures, of that employee or extension."""
    condition = and_(table.organization_id == scope.organization_id, table.started_at >= scope.window.start_utc,
                     table.started_at < scope.window.end_utc)
    if scope.employee_id is not None:
        condition = and_(condition, table.employee_id == scope.employee_id)
    if scope.ext_code is not None:
        condition = and_(condition, _on_extension(table, scope))
    if scope.team is not None:
        condition = and_(condition, scope.team.has_member(table.employee_id))
    return condition


def _on_extension(table: type[CallLogEntry | Call], scope: Scope) -> ColumnElement[bool]:
    """Call-log rows of the scope's extension; scored calls whose call-log row is of it. The
    extension's rows are looked up in the window (widened by LOG_MATCH_MARGIN: a stored call and its
    log row have the same moment, parsed from the same export), then matched by record id: a
    hash join over one extension's rows, not a probe of the log for every scored call."""
    if table is CallLogEntry:
        return CallLogEntry.ext_code == scope.ext_code
    records = select(CallLogEntry.record_id).where(
        CallLogEntry.organization_id == scope.organization_id, CallLogEntry.ext_code == scope.ext_code,
        CallLogEntry.started_at >= scope.window.start_utc - LOG_MATCH_MARGIN,
        CallLogEntry.started_at < scope.window.end_utc + LOG_MATCH_MARGIN)
    return Call.external_id.in_(records)


def _log_filter(scope: Scope) -> ColumnElement[bool]:
    return _in_scope(CallLogEntry, scope)


def _scored_filter(scope: Scope) -> ColumnElement[bool]:
    return _in_scope(Call, scope)


def _scaled_overall(scope: Scope) -> ColumnElement[Any]:
    """`overall_score` on the organization's scale (calls scored before `score_max` existed count
    as already on it)."""
    return cast(Call.overall_score, Float) * scope.scale / func.coalesce(Call.score_max, scope.scale)


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
    return _figures_per(session, scope, by_department=False)


def department_figures(session: Session, scope: Scope) -> dict[int | None, dict[str, Any]]:
    """The employees' figures added up per department the employee is in now (None: in none);
    only departments with calls or scores in the window. Calls credited to nobody are in no row."""
    return _figures_per(session, scope, by_department=True)


def _figures_per(session: Session, scope: Scope, *, by_department: bool) -> dict[Any, dict[str, Any]]:
    """Figures per employee, or per department of the employee: one grouped aggregate per source."""
    figures: dict[Any, dict[str, Any]] = {}

    def row(key: Any) -> dict[str, Any]:
        return figures.setdefault(key, empty_employee_figures())

    def grouped(statement: Select[Any], table: type[CallLogEntry | Call]) -> Select[Any]:
        statement = statement.where(table.employee_id.is_not(None))
        if by_department:
            return statement.join_from(table, User, User.id == table.employee_id).group_by(User.department_id)
        return statement.group_by(table.employee_id)

    def key_of(employee_id: Any) -> Any:
        return User.department_id if by_department else employee_id

    log_rows = session.execute(grouped(select(key_of(CallLogEntry.employee_id).label("key"), *_log_figures())
                                       .where(_log_filter(scope)), CallLogEntry))
    for item in log_rows:
        row(item.key).update(calls=item.calls, answered=item.answered, missed=item.missed, talkTimeS=int(item.talk))
    score_rows = session.execute(grouped(_scored_calls(scope, key_of(Call.employee_id).label("key"),
                                                       *_score_figures(scope)), Call))
    for item in score_rows:
        row(item.key).update(scoredCalls=item.scored, avgScore=_round(item.avg),
                             bestScore=_round(item.best), worstScore=_round(item.worst))
    for key, count in session.execute(grouped(_violations(scope, key_of(Call.employee_id)), Call)):
        row(key)["violations"] = count
    return figures


def empty_employee_figures() -> dict[str, Any]:
    return {"calls": 0, "answered": 0, "missed": 0, "talkTimeS": 0, "scoredCalls": 0, "avgScore": None,
            "bestScore": None, "worstScore": None, "violations": 0}


def daily(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """One row per day of the window, days without calls included."""
    figures = grouped_figures(session, scope, buckets.days(scope.window, scope.dialect), with_scores=True)
    rows = []
    for day in scope.window.days():
        of_day = figures.get(day, empty_bucket_figures(with_scores=True))
        rows.append({"date": day.isoformat(), **{field: of_day[field] for field in DAILY_FIELDS}})
    return rows


def empty_bucket_figures(*, with_scores: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {"calls": 0, "answered": 0, "missed": 0, "talkTimeS": 0}
    if with_scores:
        figures.update(scoredCalls=0, avgScore=None)
    return figures


def grouped_figures(session: Session, scope: Scope, groups: Buckets, *,
                    with_scores: bool) -> dict[Any, dict[str, Any]]:
    """Figures per label of `groups` (a day, a month, an hour of the day): call counts and talk
    time, and with `with_scores` the scored calls and their average. Only labels with rows are
    present. Several SQL groups may share a label (the same hour on every day): they are added."""
    sums: dict[Any, dict[str, Any]] = {}

    def add(key: Any, **values: float) -> None:
        entry = sums.setdefault(groups.label(key), dict.fromkeys(("calls", "answered", "missed", "talk", "scored",
                                                                  "score_sum"), 0))
        for name, value in values.items():
            entry[name] += value

    log_key = groups.expression(CallLogEntry.started_at).label("bucket")
    for item in session.execute(select(log_key, *_log_figures()).where(_log_filter(scope)).group_by(log_key)):
        add(item.bucket, calls=item.calls, answered=item.answered, missed=item.missed, talk=int(item.talk))
    if with_scores:
        call_key = groups.expression(Call.started_at).label("bucket")
        scores = session.execute(_scored_calls(scope, call_key, func.count().label("scored"),
                                               func.sum(_scaled_overall(scope)).label("score_sum")).group_by(call_key))
        for item in scores:
            add(item.bucket, scored=item.scored, score_sum=float(item.score_sum))
    return {label: _figures_of(entry, with_scores=with_scores) for label, entry in sums.items()}


def _figures_of(sums: dict[str, Any], *, with_scores: bool) -> dict[str, Any]:
    figures = {"calls": sums["calls"], "answered": sums["answered"], "missed": sums["missed"],
               "talkTimeS": sums["talk"]}
    if with_scores:
        figures.update(scoredCalls=sums["scored"],
                       avgScore=_round(sums["score_sum"] / sums["scored"]) if sums["scored"] else None)
    return figures


def grouped_violations(session: Session, scope: Scope, groups: Buckets) -> dict[Any, int]:
    """Violations of the scored calls per label of `groups`."""
    counts: dict[Any, int] = {}
    call_key = groups.expression(Call.started_at).label("bucket")
    for item in session.execute(_violations(scope, call_key).group_by(call_key)):
        label = groups.label(item.bucket)
        counts[label] = counts.get(label, 0) + item.violations
    return counts


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


def prepare(session: Session, statement_timeout_ms: int) -> None:
    """Statistics are short aggregates over one window: PostgreSQL's JIT compilation, triggered
    by the large row estimates of a big organization, costs more than it saves (~30 ms each); and
    a query running longer than `statement_timeout_ms` is cancelled (`api.stats.bounds`). Both are
    transaction-local (`SET LOCAL`, `set_config(..., true)`): nothing outlives the transaction on
    the server connection, which PgBouncer in transaction mode lends to the next client."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SELECT set_config('statement_timeout', :timeout, true)"),
                        {"timeout": str(statement_timeout_ms)})


__all__ = ["Scope", "criteria", "daily", "department_figures", "employee_figures", "empty_bucket_figures",
           "empty_employee_figures",
           "grouped_figures", "grouped_violations", "overview", "prepare"]
