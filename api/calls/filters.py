"""The call list's query parameters: the filters `GET /calls`, `/calls.csv` and `/calls.xlsx` share,
and the page of `GET /calls`. Every value is checked here, so a bad one is a 400 naming its
parameter and never reaches the database.

`status` is the call's status (answered / missed), like the `status` field of each call. It used
to filter by AI status, which `aiStatus` does now; an AI status given as `status` (`status=done`)
still filters by it, so that existing clients keep working (the two sets of values do not meet).
`departmentId` and `branchId` limit the list to the calls of a team's employees (`api.teams.scope`,
which also limits a MANAGER with a `managedDepartmentId` to that department).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from api.auth.roles import OrganizationScope
from api.calls.cursor import MAX_CURSOR_LENGTH, CursorError, decode
from api.http.input_guards import MAX_DB_INT
from api.teams.scope import TeamFilter
from shared.models import AiStatus
from shared.models.analytics import EXT_CODE_LENGTH
from shared.sipuni.callbacks import CallbackState

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000  # offset = (page - 1) * limit must stay far inside PostgreSQL's bigint
# Filters outside these years are refused (400): beyond them datetime arithmetic overflows.
MIN_FILTER_YEAR = 1900
MAX_FILTER_YEAR = 9000
MAX_SCORE = 100  # the largest scale an organization scores on
MIN_SEARCH_DIGITS, MAX_SEARCH_DIGITS = 3, 20
# What people type around the digits of a phone number; dropped before the digits are checked.
_PHONE_PUNCTUATION_RE = re.compile(r"[\s()+\-.]")
_EXT_CODE_PATTERN = rf"^[0-9A-Za-z]{{1,{EXT_CODE_LENGTH}}}$"


CALL_STATUSES = ("answered", "missed")
# The values `status` takes: a call's status, or (the former meaning) an AI status. One enum, so a
# wrong value is one error naming `status` with every value it may take.
StatusFilter = Enum("StatusFilter", {value.upper(): value for value in  # type: ignore[misc]
                                     (*CALL_STATUSES, *(status.value for status in AiStatus))}, type=str)


class CallsFilter(OrganizationScope, TeamFilter):
    """Which calls: the filters of the list and of its downloads."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: datetime | date | None = Field(
        None, alias="from", description="Start at or after: a day (YYYY-MM-DD, the whole UTC day) or an ISO moment")
    to: datetime | date | None = Field(
        None, description="Start before: a day (YYYY-MM-DD, included) or an ISO moment (naive = UTC)")
    status: StatusFilter | None = Field(  # type: ignore[valid-type]
        None, description="answered or missed; an AI status here (deprecated) filters like aiStatus")
    direction: Literal["incoming", "outgoing", "internal"] | None = None
    callback: CallbackState | None = Field(
        None, description="What followed a missed incoming call; status=missed&callback=none is the worklist")
    employeeId: int | None = Field(None, ge=1, le=MAX_DB_INT)  # noqa: N815 - the API's parameters are camelCase
    extCode: str | None = Field(None, pattern=_EXT_CODE_PATTERN, description="The employee's extension")  # noqa: N815
    hasRecording: bool | None = Field(None, description="Whether the call's recording is stored")  # noqa: N815
    aiStatus: AiStatus | None = None  # noqa: N815
    minScore: float | None = Field(  # noqa: N815
        None, ge=0, le=MAX_SCORE, allow_inf_nan=False, description="Overall score at least (organization's scale)")
    maxScore: float | None = Field(  # noqa: N815
        None, ge=0, le=MAX_SCORE, allow_inf_nan=False, description="Overall score at most (organization's scale)")
    search: str | None = Field(
        None, max_length=64, description=f"The last digits of a phone number ({MIN_SEARCH_DIGITS} to "
                                         f"{MAX_SEARCH_DIGITS}), matched against the caller and the callee")

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _date_or_moment(cls, value: object) -> object:
        """`2024-05-01` is a day; anything longer is an ISO moment (naive = UTC)."""
        if isinstance(value, str) and len(value.strip()) == len("YYYY-MM-DD"):
            return date.fromisoformat(value.strip())
        return datetime.fromisoformat(value.strip()) if isinstance(value, str) else value

    @field_validator("from_", "to")
    @classmethod
    def _plausible_year(cls, value: datetime | date | None) -> datetime | date | None:
        if value is not None and not MIN_FILTER_YEAR <= value.year <= MAX_FILTER_YEAR:
            raise ValueError(f"the year must lie within {MIN_FILTER_YEAR}..{MAX_FILTER_YEAR}")
        return value

    @field_validator("search")
    @classmethod
    def _phone_digits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = _PHONE_PUNCTUATION_RE.sub("", value)
        if not digits.isascii() or not digits.isdigit() or not MIN_SEARCH_DIGITS <= len(digits) <= MAX_SEARCH_DIGITS:
            raise ValueError(f"the last {MIN_SEARCH_DIGITS} to {MAX_SEARCH_DIGITS} digits of a phone number")
        return digits

    @property
    def call_status(self) -> str | None:
        """`status` when it is a call's status (answered / missed)."""
        value = self.status.value if self.status is not None else None
        return value if value in CALL_STATUSES else None

    @property
    def ai_statuses(self) -> set[str]:
        """The AI statuses asked for, by `aiStatus` or (formerly) by `status`: a call must have each."""
        values = {self.aiStatus.value} if self.aiStatus is not None else set()
        if self.status is not None and self.status.value not in CALL_STATUSES:
            values.add(self.status.value)
        return values

    def range_errors(self) -> dict[str, str]:
        """What the fields say together that none says alone (400 naming the field)."""
        if self.minScore is not None and self.maxScore is not None and self.minScore > self.maxScore:
            return {"minScore": "must not be greater than maxScore"}
        return {}


class CallsQuery(CallsFilter):
    """The list: the filters, and a page by number (`page`, as before) or after a `cursor`."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(None, max_length=MAX_CURSOR_LENGTH,
                               description="The nextCursor of the previous page (keyset pagination)")

    @field_validator("cursor")
    @classmethod
    def _known_cursor(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                decode(value)
            except CursorError as exc:
                raise ValueError(str(exc)) from exc
        return value

    def range_errors(self) -> dict[str, str]:
        errors = super().range_errors()
        if self.cursor is not None and self.page != 1:
            errors["cursor"] = "a page is asked for either by page or after a cursor, not both"
        return errors
