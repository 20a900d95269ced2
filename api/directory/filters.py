"""The directory's query parameters: the filters the lists and their downloads share, and the page.

Every value is checked here, so a bad one is a 400 naming its parameter and never reaches the
database. An empty value (`status=`) is the same as leaving the parameter out. What each filter
means:
- `active`: `true` (the default: what HEMIS lists today), `false` (records a complete sync no longer
  saw) or `all`;
- `search`: with a digit in it, the exact ID number (`student_id_number`, `employee_id_number`;
  names hold no digits); otherwise part of the full name, case-insensitive. A lookup list's
  `search` is part of the name or the exact code;
- `course`: 1 to 9 is the course (`course=2` is HEMIS's level code "12"); a code of two to four
  digits is a level code as HEMIS spells it (`course=12`);
- `updatedSince`: rows a sync wrote at or after this moment (`synced_at`: every sync that sees a
  record writes it, changed or not); a day (YYYY-MM-DD) is its start in UTC, a moment without a
  zone is UTC;
- HEMIS ids (`departmentId`, `groupId`, ...) and codes (`status`, `educationForm`, `structureType`)
  are matched exactly, as HEMIS spells them.
`EQUALS` says which column each plain parameter must equal; `api.directory.conditions` builds the
SQL.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from api.auth.roles import OrganizationScope
from api.calls.filters import MAX_FILTER_YEAR, MIN_FILTER_YEAR
from api.calls.list_query import moment
from api.directory.cursor import MAX_CURSOR_LENGTH, decode
from shared.models.hemis import CODE_LENGTH, ID_LENGTH

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_SEARCH_LENGTH = 100
DAY_LENGTH = len("YYYY-MM-DD")
CODE_PATTERN = rf"^[0-9A-Za-z_.\-]{{1,{CODE_LENGTH}}}$"
COURSE_PATTERN = r"^(?:[1-9]|[0-9]{2,4})$"
LEVEL_CODE_PREFIX = "1"  # HEMIS's level codes: "11" is the 1st course, "12" the 2nd...


class ActiveFilter(str, Enum):
    ACTIVE = "true"
    INACTIVE = "false"
    ALL = "all"


def hemis_id_field(description: str) -> Any:
    return Field(None, min_length=1, max_length=ID_LENGTH, description=description)


def code_field(description: str) -> Any:
    return Field(None, pattern=CODE_PATTERN, description=description)


class DirectoryFilter(OrganizationScope):
    """What every directory list filters on: activity and a search."""

    model_config = ConfigDict(extra="forbid")
    # query parameter -> the column it must equal (subclasses add theirs)
    EQUALS: ClassVar[dict[str, str]] = {}

    active: ActiveFilter = Field(ActiveFilter.ACTIVE, description="true (default), false or all")
    search: str | None = Field(None, max_length=MAX_SEARCH_LENGTH, description="Part of the name, case-insensitive")

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data

    @field_validator("search")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None


class PersonFilter(DirectoryFilter):
    """Students' and employees' filters: their status, their department, when a sync last wrote them."""

    ID_NUMBER: ClassVar[str]  # the column `search` matches exactly when it holds a digit

    search: str | None = Field(None, max_length=MAX_SEARCH_LENGTH,
                               description="With a digit: the exact ID number; else part of the full name "
                                           "(case-insensitive)")
    status: str | None = code_field("The status code (HEMIS's classifier, e.g. 11)")
    departmentId: str | None = hemis_id_field("The HEMIS id of the department (a student's: the faculty)")  # noqa: N815
    updatedSince: datetime | date | None = Field(  # noqa: N815 - the API's parameters are camelCase
        None, description="Written by a sync at or after: a day (YYYY-MM-DD, from its start in UTC) or an ISO "
                          "moment (naive = UTC)")

    @field_validator("updatedSince", mode="before")
    @classmethod
    def _day_or_moment(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        return date.fromisoformat(text) if len(text) == DAY_LENGTH else datetime.fromisoformat(text)

    @field_validator("updatedSince")
    @classmethod
    def _utc_moment(cls, value: datetime | date | None) -> datetime | None:
        """Years outside MIN_FILTER_YEAR..MAX_FILTER_YEAR are refused: beyond them, turning a zoned
        moment into UTC overflows."""
        if value is None:
            return None
        if not MIN_FILTER_YEAR <= value.year <= MAX_FILTER_YEAR:
            raise ValueError(f"the year must lie within {MIN_FILTER_YEAR}..{MAX_FILTER_YEAR}")
        return moment(value, end_of_day=False)


class StudentsFilter(PersonFilter):
    """Which students (enrolments)."""

    EQUALS: ClassVar[dict[str, str]] = {
        "status": "status_code", "departmentId": "department_id", "groupId": "group_id",
        "specialtyId": "specialty_id", "course": "level_code", "educationForm": "education_form_code"}
    ID_NUMBER: ClassVar[str] = "student_id_number"

    groupId: str | None = hemis_id_field("The HEMIS id of the group")  # noqa: N815
    specialtyId: str | None = hemis_id_field("The HEMIS id of the specialty")  # noqa: N815
    course: str | None = Field(None, pattern=COURSE_PATTERN,
                               description="1 to 9: the course (2 is level code 12); or a level code (12)")
    educationForm: str | None = code_field("The education form code (11 full-time, 13 part-time...)")  # noqa: N815

    @field_validator("course", mode="before")
    @classmethod
    def _level_code(cls, value: object) -> object:
        """The course as HEMIS's level code: `2` is "12"."""
        if isinstance(value, str) and len(value) == 1 and value.isdigit() and value != "0":
            return LEVEL_CODE_PREFIX + value
        return value


class EmployeesFilter(PersonFilter):
    """Which employees (positions)."""

    EQUALS: ClassVar[dict[str, str]] = {"status": "employee_status_code", "departmentId": "department_id"}
    ID_NUMBER: ClassVar[str] = "employee_id_number"


def _known_cursor(text: str) -> str:
    decode(text)  # a CursorError is a ValueError: a 400 naming `cursor`
    return text


class Paged(BaseModel):
    """A page of a list: its size, and where it starts (the previous page's `nextCursor`)."""

    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page")
    cursor: Annotated[str, Field(max_length=MAX_CURSOR_LENGTH), AfterValidator(_known_cursor)] | None = Field(
        None, description="Where the page starts: the previous page's nextCursor")


class PagedFilter(DirectoryFilter, Paged):
    """A list's query: its filters and its page."""


class StudentsQuery(StudentsFilter, PagedFilter):
    pass


class EmployeesQuery(EmployeesFilter, PagedFilter):
    pass


# --- the lookup lists -------------------------------------------------------------------------------

class LookupFilter(PagedFilter):
    """A lookup list's page; `search` is part of the name, or the exact code."""

    search: str | None = Field(None, max_length=MAX_SEARCH_LENGTH,
                               description="Part of the name (case-insensitive), or the exact code")


class DepartmentsQuery(LookupFilter):
    EQUALS: ClassVar[dict[str, str]] = {"parentId": "parent_id", "structureType": "structure_type_code"}

    parentId: str | None = hemis_id_field("The HEMIS id of the parent department")  # noqa: N815
    structureType: str | None = code_field("11 faculty, 12 chair (kafedra)...")  # noqa: N815


class GroupsQuery(LookupFilter):
    EQUALS: ClassVar[dict[str, str]] = {"departmentId": "department_id", "specialtyId": "specialty_id"}

    departmentId: str | None = hemis_id_field("The HEMIS id of the group's department")  # noqa: N815
    specialtyId: str | None = hemis_id_field("The HEMIS id of the group's specialty")  # noqa: N815


class SpecialtiesQuery(LookupFilter):
    EQUALS: ClassVar[dict[str, str]] = {"departmentId": "department_id"}

    departmentId: str | None = hemis_id_field("The HEMIS id of the department that runs it")  # noqa: N815


class SemestersQuery(LookupFilter):
    EQUALS: ClassVar[dict[str, str]] = {"curriculumId": "curriculum_id", "current": "current"}

    curriculumId: str | None = hemis_id_field("The HEMIS id of the curriculum")  # noqa: N815
    current: bool | None = Field(None, description="HEMIS's own mark of the current semester")
