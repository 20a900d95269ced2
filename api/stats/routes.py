"""`/stats/*`: organization-scoped figures for a date window.

ADMIN, MANAGER and SUPERADMIN (with `?organizationId=`) see the whole organization; an EMPLOYEE
sees only their own figures. `from`/`to` are inclusive days (`DD.MM.YYYY` or `YYYY-MM-DD`) in the
organization's time zone, by default the last 30 days.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.auth.access import SIGNED_IN
from api.auth.roles import OrganizationScope, current_organization_id, current_role, current_user_id
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.http.errors import ApiError
from api.http.input_guards import MAX_DB_INT
from api.http.services import services
from api.openapi.common import Succeeded, ok
from api.stats import export, queries
from api.stats.window import DAY_SCHEMA, WindowError, window_for
from shared.db import session_scope
from shared.models import MAX_SCORE_BY_MODE, Organization, Role, User

bp = Blueprint("stats", __name__, url_prefix="/stats")

DEFAULT_SORT = "calls"


DAY_FORMATS = "DD.MM.YYYY or YYYY-MM-DD"
Day = Annotated[str, WithJsonSchema(DAY_SCHEMA)]


class StatsQuery(OrganizationScope):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Day | None = Field(None, alias="from", max_length=32, description=f"First day ({DAY_FORMATS}), included")
    to: Day | None = Field(None, max_length=32, description=f"Last day ({DAY_FORMATS}), included; default today")


class EmployeesQuery(StatsQuery):
    sort: Literal["avgScore", "calls", "talkTimeS", "missed"] = DEFAULT_SORT


class DailyQuery(StatsQuery):
    employeeId: int | None = Field(None, ge=1, le=MAX_DB_INT)  # noqa: N815


class WindowFields(Succeeded):
    organizationId: int  # noqa: N815 - the API's JSON is camelCase
    from_: str = Field(alias="from")
    to: str
    timeZone: str  # noqa: N815
    maxScore: int  # noqa: N815


class OverviewFigures(WindowFields):
    calls: int
    answered: int
    missed: int
    incoming: int
    outgoing: int
    talkTimeS: int  # noqa: N815
    avgTalkTimeS: float | None  # noqa: N815
    scoredCalls: int  # noqa: N815
    avgScore: float | None  # noqa: N815
    violations: int


class EmployeeRow(BaseModel):
    employeeId: int  # noqa: N815
    name: str
    extCode: str | None  # noqa: N815
    calls: int
    answered: int
    missed: int
    talkTimeS: int  # noqa: N815
    scoredCalls: int  # noqa: N815
    avgScore: float | None  # noqa: N815
    bestScore: float | None  # noqa: N815
    worstScore: float | None  # noqa: N815
    violations: int


class EmployeesTable(WindowFields):
    sort: str
    employees: list[EmployeeRow]


class DayRow(BaseModel):
    date: str
    calls: int
    answered: int
    missed: int
    talkTimeS: int  # noqa: N815
    avgScore: float | None  # noqa: N815


class DailyFigures(WindowFields):
    employeeId: int | None  # noqa: N815
    days: list[DayRow]


class CriterionRow(BaseModel):
    criterionId: int  # noqa: N815
    name: str
    weight: float
    scoredCalls: int  # noqa: N815
    avgScore: float | None  # noqa: N815


class CriteriaFigures(WindowFields):
    criteria: list[CriterionRow]


def _download(description: str, media_type: str) -> dict[int | str, ResponseDoc]:
    return {200: ResponseDoc(description, media_type=media_type, schema={"type": "string", "format": "binary"})}


def _scope(session: Session, query: StatsQuery, employee_id: int | None = None) -> queries.Scope:
    """Organization, window, scale, and the employee an EMPLOYEE is limited to."""
    queries.prepare(session)
    organization = session.get(Organization, current_organization_id())
    if organization is None:
        raise ApiError(404, "Organization not found")
    try:
        window = window_for(query.from_, query.to, organization.time_zone)
    except WindowError as exc:
        raise ApiError(400, str(exc), {exc.field: str(exc)}) from exc
    if current_role() == Role.EMPLOYEE.value:
        if employee_id is not None and employee_id != current_user_id():
            raise ApiError(403, "An employee can only see their own figures")
        employee_id = current_user_id()
    return queries.Scope(organization_id=organization.id, window=window,
                         scale=MAX_SCORE_BY_MODE.get(organization.scoring_mode, MAX_SCORE_BY_MODE["TEN"]),
                         employee_id=employee_id, dialect=session.get_bind().dialect.name)


def _meta(scope: queries.Scope) -> dict[str, Any]:
    return {"success": True, "organizationId": scope.organization_id, **scope.window.as_dict(),
            "maxScore": scope.scale}


@bp.get("/overview")
@endpoint(auth=SIGNED_IN, query=StatsQuery, responses={200: ok(OverviewFigures)})
def overview(query: StatsQuery) -> ResponseReturnValue:
    """Calls, answered, missed, talk time, scores and violations over the window."""
    with session_scope(services().session_factory) as session:
        scope = _scope(session, query)
        return jsonify({**_meta(scope), **queries.overview(session, scope)})


@bp.get("/employees")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery, responses={200: ok(EmployeesTable)})
def employees(query: EmployeesQuery) -> ResponseReturnValue:
    """One row of figures per employee (an EMPLOYEE: their own)."""
    scope, rows = _employees_table(query)
    return jsonify({**_meta(scope), "sort": query.sort, "employees": rows})


@bp.get("/employees.csv")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery, responses=_download("The employees table as CSV", "text/csv"))
def employees_csv(query: EmployeesQuery) -> ResponseReturnValue:
    """The employees table as CSV (UTF-8 with a BOM, for Excel)."""
    scope, rows = _employees_table(query)
    return _download(export.employees_csv(rows), export.CSV_MIMETYPE, scope, "csv")


@bp.get("/employees.xlsx")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery,
          responses=_download("The employees table as XLSX", export.XLSX_MIMETYPE))
def employees_xlsx(query: EmployeesQuery) -> ResponseReturnValue:
    """The employees table as an Excel workbook."""
    scope, rows = _employees_table(query)
    body = export.employees_xlsx(rows, scope.window.as_dict(), scope.scale)
    return _download(body, export.XLSX_MIMETYPE, scope, "xlsx")


def _employees_table(query: EmployeesQuery) -> tuple[queries.Scope, list[dict[str, Any]]]:
    """The employees table of this request (JSON, CSV and XLSX show the same rows)."""
    with session_scope(services().session_factory) as session:
        scope = _scope(session, query)
        rows = employee_rows(session, scope, query.sort)
    return scope, rows


@bp.get("/daily")
@endpoint(auth=SIGNED_IN, query=DailyQuery, responses={200: ok(DailyFigures)})
def daily(query: DailyQuery) -> ResponseReturnValue:
    """One row per day of the window (days without calls included), optionally of one employee."""
    with session_scope(services().session_factory) as session:
        scope = _scope(session, query, query.employeeId)
        if query.employeeId is not None:
            _require_member(session, scope.organization_id, query.employeeId)
        days = queries.daily(session, scope)
    return jsonify({**_meta(scope), "employeeId": scope.employee_id, "days": days})


@bp.get("/criteria")
@endpoint(auth=SIGNED_IN, query=StatsQuery, responses={200: ok(CriteriaFigures)})
def criteria(query: StatsQuery) -> ResponseReturnValue:
    """Average score per criterion over the window."""
    with session_scope(services().session_factory) as session:
        scope = _scope(session, query)
        rows = queries.criteria(session, scope)
    return jsonify({**_meta(scope), "criteria": rows})


# --- helpers ---------------------------------------------------------------------------------------

def employee_rows(session: Session, scope: queries.Scope, sort: str) -> list[dict[str, Any]]:
    """One row per employee: everyone with an extension or the EMPLOYEE role, and anyone with
    calls in the window; an EMPLOYEE gets their own row only."""
    figures = queries.employee_figures(session, scope)
    statement = select(User).where(User.organization_id == scope.organization_id)
    if scope.employee_id is not None:
        statement = statement.where(User.id == scope.employee_id)
    else:
        shown = [User.ext_code.is_not(None), User.role == Role.EMPLOYEE.value]
        if figures:
            shown.append(User.id.in_(list(figures)))
        statement = statement.where(or_(*shown))
    rows = [{"employeeId": user.id, "name": display_name(user), "extCode": user.ext_code,
             **figures.get(user.id, queries.empty_employee_figures())}
            for user in session.scalars(statement.order_by(User.id))]
    # Highest first; employees with no score go last when sorting by score.
    rows.sort(key=lambda row: (row[sort] is None, -(row[sort] or 0), row["employeeId"]))
    return rows


def display_name(user: User) -> str:
    names = " ".join(part for part in (user.first_name, user.last_name) if part)
    return user.full_name or names or user.email


def _require_member(session: Session, organization_id: int, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is None or user.organization_id != organization_id:
        raise ApiError(404, f"Employee {user_id} not found")


def _download(body: bytes, mimetype: str, scope: queries.Scope, extension: str) -> Response:
    window = scope.window
    name = f"employees-{window.first_day.isoformat()}-{window.last_day.isoformat()}.{extension}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
