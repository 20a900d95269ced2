"""`/stats/*`: organization-scoped figures for a date window.

ADMIN, MANAGER and SUPERADMIN (with `?organizationId=`) see the whole organization; an EMPLOYEE
sees only their own figures. `from`/`to` are inclusive days (`DD.MM.YYYY` or `YYYY-MM-DD`) in the
organization's time zone, by default the last 30 days; or `period` names one (`api.stats.periods`:
today, yesterday, this week, this month), and `/stats/overview` then also answers the period
before it and the change. `/stats/monthly` takes a `year`. `extCode` limits any of them to one
extension, `departmentId` or `branchId` to the employees of a team, and a MANAGER limited to a
department sees only it (`api.teams.scope`). `/stats/departments` is the employees table one level
up (`api.stats.departments`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.auth.access import SIGNED_IN
from api.auth.roles import (
    OrganizationScope,
    current_organization_id,
    current_role,
    current_user_id,
)
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint, validated_query
from api.http.errors import ApiError
from api.http.input_guards import MAX_DB_INT
from api.http.services import services
from api.openapi.common import Succeeded, ok
from api.stats import comparison, export, queries
from api.stats.bounds import check_window, stats_session
from api.stats.departments import COLUMNS as DEPARTMENT_COLUMNS
from api.stats.departments import department_rows
from api.stats.hourly import hourly as hourly_rows
from api.stats.monthly import monthly as monthly_rows
from api.stats.periods import Period, period_windows
from api.stats.window import (
    DAY_SCHEMA,
    EARLIEST_YEAR,
    LATEST_YEAR,
    Window,
    WindowError,
    today_in,
    window_for,
    year_window,
)
from api.teams.scope import TeamFilter, caller_team
from shared.models import MAX_SCORE_BY_MODE, Organization, Role, User

bp = Blueprint("stats", __name__, url_prefix="/stats")

DEFAULT_SORT = "calls"
# An extension as Sipuni exports carry it (workers.sipuni.csv_parser) and users are given it.
EXT_CODE_PATTERN = r"^\d{2,6}$"
# The overview's figures a period compares with the period before.
COMPARED_FIELDS = ("calls", "answered", "missed", "incoming", "outgoing", "talkTimeS", "avgTalkTimeS", "scoredCalls",
                   "avgScore", "violations")


DAY_FORMATS = "DD.MM.YYYY or YYYY-MM-DD"
Day = Annotated[str, WithJsonSchema(DAY_SCHEMA)]


class FilterQuery(OrganizationScope, TeamFilter):
    """What every statistics route may be narrowed to: an extension, a department or a branch."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    extCode: str | None = Field(None, pattern=EXT_CODE_PATTERN,  # noqa: N815 - the API's parameters are camelCase
                                description="Only the calls of this extension (2-6 digits)")

    @field_validator("extCode", mode="before")
    @classmethod
    def _empty_ext_is_absent(cls, value: object) -> object:
        return None if value == "" else value


class StatsQuery(FilterQuery):
    from_: Day | None = Field(None, alias="from", max_length=32, description=f"First day ({DAY_FORMATS}), included")
    to: Day | None = Field(None, max_length=32, description=f"Last day ({DAY_FORMATS}), included; default today")
    period: Period | None = Field(
        None, description="Instead of from/to: today, yesterday, this ISO week (from Monday) or this month, up to "
                          "now in the organization's time zone")

    @field_validator("period", mode="before")
    @classmethod
    def _empty_period_is_absent(cls, value: object) -> object:
        return None if value == "" else value


class EmployeesQuery(StatsQuery):
    sort: Literal["avgScore", "calls", "talkTimeS", "missed"] = DEFAULT_SORT


class DailyQuery(StatsQuery):
    employeeId: int | None = Field(None, ge=1, le=MAX_DB_INT)  # noqa: N815


class MonthlyQuery(FilterQuery):
    year: int | None = Field(None, ge=EARLIEST_YEAR, le=LATEST_YEAR,
                             description="The calendar year (organization's time zone); default this year")
    employeeId: int | None = Field(None, ge=1, le=MAX_DB_INT)  # noqa: N815

    @field_validator("year", mode="before")
    @classmethod
    def _empty_year_is_absent(cls, value: object) -> object:
        return None if value == "" else value


class WindowFields(Succeeded):
    organizationId: int  # noqa: N815 - the API's JSON is camelCase
    from_: str = Field(alias="from")
    to: str
    timeZone: str  # noqa: N815
    maxScore: int  # noqa: N815
    extCode: str | None = None  # noqa: N815
    departmentId: int | None = None  # noqa: N815
    branchId: int | None = None  # noqa: N815


class Figures(BaseModel):
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


class Change(BaseModel):
    absolute: float | None = Field(description="current - previous; null when either is null")
    relative: float | None = Field(description="absolute / previous as a fraction (0.25 = +25 %); null when "
                                               "previous is 0 or null")


class PreviousPeriod(Figures):
    from_: str = Field(alias="from")
    to: str
    until: str = Field(description="Exclusive end (ISO 8601, UTC)")


class OverviewFigures(WindowFields, Figures):
    period: Period | None = None
    until: str | None = Field(None, description="With period: the exclusive end (ISO 8601, UTC), now or the end "
                                                "of the day")
    previous: PreviousPeriod | None = Field(None, description="With period: the same figures for the period before "
                                                              "(the same elapsed part of it)")
    change: dict[str, Change] | None = Field(None, description="With period: the change of each figure")


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


class DepartmentRow(BaseModel):
    departmentId: int | None = Field(description="null: the employees in no department")  # noqa: N815
    name: str
    branchId: int | None  # noqa: N815
    branchName: str | None  # noqa: N815
    employees: int = Field(description="Active users in the department now")
    calls: int
    answered: int
    missed: int
    talkTimeS: int  # noqa: N815
    scoredCalls: int  # noqa: N815
    avgScore: float | None  # noqa: N815
    bestScore: float | None  # noqa: N815
    worstScore: float | None  # noqa: N815
    violations: int


class DepartmentsTable(WindowFields):
    sort: str
    departments: list[DepartmentRow]


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


class MonthRow(BaseModel):
    month: str = Field(description="YYYY-MM")
    calls: int
    answered: int
    missed: int
    talkTimeS: int  # noqa: N815
    scoredCalls: int  # noqa: N815
    avgScore: float | None  # noqa: N815
    violations: int


class MonthlyFigures(WindowFields):
    year: int
    employeeId: int | None  # noqa: N815
    months: list[MonthRow] = Field(description="Twelve months, January first, every month present")


class HourRow(BaseModel):
    hour: int = Field(ge=0, le=23, description="Hour of the day on the organization's clock")
    calls: int
    answered: int
    missed: int
    talkTimeS: int  # noqa: N815


class HourlyFigures(WindowFields):
    employeeId: int | None  # noqa: N815
    days: int = Field(description="Days in the window, for a per-day average")
    hours: list[HourRow] = Field(description="24 rows, hour 0 first, every hour present")


class CriterionRow(BaseModel):
    criterionId: int  # noqa: N815
    name: str
    weight: float
    scoredCalls: int  # noqa: N815
    avgScore: float | None  # noqa: N815


class CriteriaFigures(WindowFields):
    criteria: list[CriterionRow]


def _download_doc(description: str, media_type: str) -> dict[int | str, ResponseDoc]:
    return {200: ResponseDoc(description, media_type=media_type, schema={"type": "string", "format": "binary"})}


def _csv_doc(table: str) -> dict[int | str, ResponseDoc]:
    return _download_doc(f"The {table} as CSV", "text/csv")


def _xlsx_doc(table: str) -> dict[int | str, ResponseDoc]:
    return _download_doc(f"The {table} as XLSX (score cells coloured by the scale, header frozen)",
                         export.XLSX_MIMETYPE)


# --- overview ---------------------------------------------------------------------------------------

@bp.get("/overview")
@endpoint(auth=SIGNED_IN, query=StatsQuery, responses={200: ok(OverviewFigures)})
def overview(query: StatsQuery) -> ResponseReturnValue:
    """Calls, answered, missed, talk time, scores and violations over the window; with `period`,
    also the period before it and the change of each figure."""
    with stats_session() as session:
        if query.period is None:
            scope = _scope(session, query)
            return jsonify({**_meta(scope), **queries.overview(session, scope)})
        _refuse_period_with_days(query)
        windows = period_windows(query.period, _organization(session).time_zone)
        scope = _scope(session, query, window=windows.current)
        current = queries.overview(session, scope)
        previous = queries.overview(session, scope.over(windows.previous))
    return jsonify({**_meta(scope), "period": query.period, "until": _until(windows.current), **current,
                    "previous": {**_bounds(windows.previous), **previous},
                    "change": comparison.changes(current, previous, COMPARED_FIELDS)})


# --- employees --------------------------------------------------------------------------------------

@bp.get("/employees")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery, responses={200: ok(EmployeesTable)})
def employees(query: EmployeesQuery) -> ResponseReturnValue:
    """One row of figures per employee (an EMPLOYEE: their own)."""
    scope, rows = _employees_table(query)
    return jsonify({**_meta(scope), "sort": query.sort, "employees": rows})


@bp.get("/employees.csv")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery, responses=_csv_doc("employees table"))
def employees_csv(query: EmployeesQuery) -> ResponseReturnValue:
    """The employees table as CSV (UTF-8 with a BOM, for Excel)."""
    scope, rows = _employees_table(query)
    return _attachment(export.employees_csv(rows), export.CSV_MIMETYPE, _file_name("employees", scope, "csv"))


@bp.get("/employees.xlsx")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery, responses=_xlsx_doc("employees table"))
def employees_xlsx(query: EmployeesQuery) -> ResponseReturnValue:
    """The employees table as an Excel workbook."""
    scope, rows = _employees_table(query)
    body = export.employees_xlsx(rows, scope.window.as_dict(), scope.scale)
    return _attachment(body, export.XLSX_MIMETYPE, _file_name("employees", scope, "xlsx"))


def _employees_table(query: EmployeesQuery) -> tuple[queries.Scope, list[dict[str, Any]]]:
    """The employees table of this request (JSON, CSV and XLSX show the same rows)."""
    with stats_session() as session:
        scope = _scope(session, query)
        rows = employee_rows(session, scope, query.sort)
    return scope, rows


# --- departments ------------------------------------------------------------------------------------

@bp.get("/departments")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery, responses={200: ok(DepartmentsTable)})
def departments(query: EmployeesQuery) -> ResponseReturnValue:
    """The employees table one level up: one row per department, its employees' figures added up."""
    scope, rows = _departments_table(query)
    return jsonify({**_meta(scope), "sort": query.sort, "departments": rows})


@bp.get("/departments.csv")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery, responses=_csv_doc("departments table"))
def departments_csv(query: EmployeesQuery) -> ResponseReturnValue:
    """The departments table as CSV (UTF-8 with a BOM, for Excel)."""
    scope, rows = _departments_table(query)
    return _attachment(export.table_csv(DEPARTMENT_COLUMNS, rows), export.CSV_MIMETYPE,
                       _file_name("departments", scope, "csv"))


@bp.get("/departments.xlsx")
@endpoint(auth=SIGNED_IN, query=EmployeesQuery, responses=_xlsx_doc("departments table"))
def departments_xlsx(query: EmployeesQuery) -> ResponseReturnValue:
    """The departments table as an Excel workbook."""
    scope, rows = _departments_table(query)
    window = scope.window
    body = export.table_xlsx(DEPARTMENT_COLUMNS, rows, sheet_title="Departments", scale=scope.scale,
                             title=f"Departments {window.first_day}..{window.last_day} ({window.time_zone}), "
                                   f"scores out of {scope.scale}")
    return _attachment(body, export.XLSX_MIMETYPE, _file_name("departments", scope, "xlsx"))


def _departments_table(query: EmployeesQuery) -> tuple[queries.Scope, list[dict[str, Any]]]:
    with stats_session() as session:
        scope = _scope(session, query)
        rows = department_rows(session, scope, query.sort)
    return scope, rows


# --- days, months, hours, criteria ------------------------------------------------------------------

@bp.get("/daily")
@endpoint(auth=SIGNED_IN, query=DailyQuery, responses={200: ok(DailyFigures)})
def daily(query: DailyQuery) -> ResponseReturnValue:
    """One row per day of the window (days without calls included), optionally of one employee."""
    with stats_session() as session:
        scope = _scope(session, query, query.employeeId)
        days = queries.daily(session, scope)
    return jsonify({**_meta(scope), "employeeId": scope.employee_id, "days": days})


@bp.get("/monthly")
@endpoint(auth=SIGNED_IN, query=MonthlyQuery, responses={200: ok(MonthlyFigures)})
def monthly(query: MonthlyQuery) -> ResponseReturnValue:
    """The twelve months of `year` (every month present), optionally of one employee."""
    scope, rows = _monthly_table(query)
    return jsonify({**_meta(scope), "year": scope.window.first_day.year, "employeeId": scope.employee_id,
                    "months": rows})


@bp.get("/monthly.csv")
@endpoint(auth=SIGNED_IN, query=MonthlyQuery, responses=_csv_doc("twelve months"))
def monthly_csv(query: MonthlyQuery) -> ResponseReturnValue:
    """The twelve months as CSV (UTF-8 with a BOM, for Excel)."""
    scope, rows = _monthly_table(query)
    body = export.table_csv(export.MONTHLY_COLUMNS, rows)
    return _attachment(body, export.CSV_MIMETYPE, f"monthly-{scope.window.first_day.year}{_ext_suffix(scope)}.csv")


@bp.get("/monthly.xlsx")
@endpoint(auth=SIGNED_IN, query=MonthlyQuery, responses=_xlsx_doc("twelve months"))
def monthly_xlsx(query: MonthlyQuery) -> ResponseReturnValue:
    """The twelve months as an Excel workbook."""
    scope, rows = _monthly_table(query)
    year = scope.window.first_day.year
    body = export.table_xlsx(export.MONTHLY_COLUMNS, rows, sheet_title=f"Months {year}", scale=scope.scale,
                             title=f"Months of {year} ({scope.window.time_zone}), scores out of {scope.scale}")
    return _attachment(body, export.XLSX_MIMETYPE, f"monthly-{year}{_ext_suffix(scope)}.xlsx")


def _monthly_table(query: MonthlyQuery) -> tuple[queries.Scope, list[dict[str, Any]]]:
    with stats_session() as session:
        time_zone = _organization(session).time_zone
        try:
            window = year_window(query.year or today_in(time_zone).year, time_zone)
        except WindowError as exc:
            raise ApiError(400, str(exc), {exc.field: str(exc)}) from exc
        scope = _scope(session, query, query.employeeId, window=window)
        rows = monthly_rows(session, scope)
    return scope, rows


@bp.get("/hourly")
@endpoint(auth=SIGNED_IN, query=DailyQuery, responses={200: ok(HourlyFigures)})
def hourly(query: DailyQuery) -> ResponseReturnValue:
    """Calls per hour of the day (answered and missed) over the window, for staffing; 24 rows on
    the organization's clock, optionally of one employee."""
    scope, rows = _hourly_table(query)
    return jsonify({**_meta(scope), "employeeId": scope.employee_id, "days": len(scope.window.days()),
                    "hours": rows})


@bp.get("/hourly.csv")
@endpoint(auth=SIGNED_IN, query=DailyQuery, responses=_csv_doc("calls per hour of the day"))
def hourly_csv(query: DailyQuery) -> ResponseReturnValue:
    """The hours of the day as CSV (UTF-8 with a BOM, for Excel)."""
    scope, rows = _hourly_table(query)
    return _attachment(export.table_csv(export.HOURLY_COLUMNS, rows), export.CSV_MIMETYPE,
                       _file_name("hourly", scope, "csv"))


@bp.get("/hourly.xlsx")
@endpoint(auth=SIGNED_IN, query=DailyQuery, responses=_xlsx_doc("calls per hour of the day"))
def hourly_xlsx(query: DailyQuery) -> ResponseReturnValue:
    """The hours of the day as an Excel workbook."""
    scope, rows = _hourly_table(query)
    window = scope.window
    body = export.table_xlsx(export.HOURLY_COLUMNS, rows, sheet_title="Hours", scale=scope.scale,
                             title=f"Calls per hour {window.first_day}..{window.last_day} ({window.time_zone})")
    return _attachment(body, export.XLSX_MIMETYPE, _file_name("hourly", scope, "xlsx"))


def _hourly_table(query: DailyQuery) -> tuple[queries.Scope, list[dict[str, Any]]]:
    with stats_session() as session:
        scope = _scope(session, query, query.employeeId)
        rows = hourly_rows(session, scope)
    return scope, rows


@bp.get("/criteria")
@endpoint(auth=SIGNED_IN, query=StatsQuery, responses={200: ok(CriteriaFigures)})
def criteria(query: StatsQuery) -> ResponseReturnValue:
    """Average score per criterion over the window."""
    with stats_session() as session:
        scope = _scope(session, query)
        rows = queries.criteria(session, scope)
    return jsonify({**_meta(scope), "criteria": rows})


# --- helpers ---------------------------------------------------------------------------------------

def _organization(session: Session) -> Organization:
    organization = session.get(Organization, current_organization_id())
    if organization is None:
        raise ApiError(404, "Organization not found")
    return organization


def _scope(session: Session, query: FilterQuery, employee_id: int | None = None,
           window: Window | None = None) -> queries.Scope:
    """Organization, window (the query's unless given; bounded for the caller's role), scale,
    extension, and the employee: the one asked for (a member of the organization), or an
    EMPLOYEE's own."""
    organization = _organization(session)
    if window is None:
        window = _query_window(query, organization.time_zone)
    check_window(window, current_role(), services().settings.stats_max_window_days)
    if current_role() == Role.EMPLOYEE.value:
        if employee_id is not None and employee_id != current_user_id():
            raise ApiError(403, "An employee can only see their own figures")
        employee_id = current_user_id()
    elif employee_id is not None:
        _require_member(session, organization.id, employee_id)
    team = caller_team(session, organization.id, query.departmentId, query.branchId)
    return queries.Scope(organization_id=organization.id, window=window,
                         scale=MAX_SCORE_BY_MODE.get(organization.scoring_mode, MAX_SCORE_BY_MODE["TEN"]),
                         employee_id=employee_id, dialect=session.get_bind().dialect.name, ext_code=query.extCode,
                         team=team)


def _query_window(query: FilterQuery, time_zone: str) -> Window:
    """`from`/`to` (default: the last 30 days), or the named `period` up to now; 400 naming the field."""
    if not isinstance(query, StatsQuery):
        raise TypeError(f"{type(query).__name__} names no window")  # a route that must pass its own
    try:
        if query.period is not None:
            _refuse_period_with_days(query)
            return period_windows(query.period, time_zone).current
        return window_for(query.from_, query.to, time_zone)
    except WindowError as exc:
        raise ApiError(400, str(exc), {exc.field: str(exc)}) from exc


def _refuse_period_with_days(query: StatsQuery) -> None:
    if query.from_ or query.to:
        message = "period names the window itself: give either period or from/to, not both"
        raise ApiError(400, message, {"period": message})


def _meta(scope: queries.Scope) -> dict[str, Any]:
    query = validated_query()
    return {"success": True, "organizationId": scope.organization_id, **scope.window.as_dict(),
            "maxScore": scope.scale, "extCode": scope.ext_code,
            "departmentId": query.departmentId if isinstance(query, TeamFilter) else None,
            "branchId": query.branchId if isinstance(query, TeamFilter) else None}


def _bounds(window: Window) -> dict[str, str]:
    """A period's days and its exclusive end, the end always spelled out."""
    return {"from": window.first_day.isoformat(), "to": window.last_day.isoformat(), "until": _until(window)}


def _until(window: Window) -> str:
    return window.end_utc.isoformat(timespec="seconds")


def employee_rows(session: Session, scope: queries.Scope, sort: str) -> list[dict[str, Any]]:
    """One row per employee: everyone with an extension or the EMPLOYEE role (with `extCode`: whoever
    has that extension), and anyone with calls in the window; an EMPLOYEE gets their own row only."""
    figures = queries.employee_figures(session, scope)
    statement = select(User).where(User.organization_id == scope.organization_id)
    if scope.team is not None:  # a team's table: its members only
        statement = statement.where(User.department_id.in_(scope.team.department_ids))
    if scope.employee_id is not None:
        statement = statement.where(User.id == scope.employee_id)
    else:
        if scope.ext_code is not None:
            shown = [User.ext_code == scope.ext_code]
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


def _ext_suffix(scope: queries.Scope) -> str:
    return f"-ext{scope.ext_code}" if scope.ext_code else ""


def _file_name(table: str, scope: queries.Scope, extension: str) -> str:
    window = scope.window
    return f"{table}-{window.first_day.isoformat()}-{window.last_day.isoformat()}{_ext_suffix(scope)}.{extension}"


def _attachment(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
