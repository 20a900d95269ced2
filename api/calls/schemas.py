"""The shapes `/calls` answers with, for `@endpoint(responses=...)` and `/openapi.json`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.openapi.common import Succeeded, TaskAccepted


class CallView(BaseModel):
    """One call. `id` is the stored call's (null for a call whose recording is not stored: it has
    a `callLogId` only); `GET /calls/<id>` and the recording take that `id`."""

    id: int | None
    callLogId: int | None  # noqa: N815 - the API's JSON is camelCase; null only for a stored call never logged
    externalId: str  # noqa: N815 - Sipuni's "ID записи"
    employeeId: int | None  # noqa: N815
    employeeName: str | None  # noqa: N815
    extCode: str | None  # noqa: N815
    direction: str | None
    status: str | None  # answered / missed
    startedAt: str | None  # noqa: N815 - ISO 8601
    fromNumber: str | None  # noqa: N815
    toNumber: str | None  # noqa: N815
    callDurationS: int | None  # noqa: N815
    talkDurationS: int | None  # noqa: N815
    callback: str | None = Field(description="none / called_back / tried / client_called_back; null: no callback "
                                             "state (not a missed incoming call)")
    callbackAt: str | None  # noqa: N815 - ISO 8601
    callbackDelayS: int | None  # noqa: N815 - seconds from the call's start
    hasRecording: bool  # noqa: N815 - the recording is stored (playable)
    aiStatus: str | None  # noqa: N815 - null without a stored recording
    aiError: str | None  # noqa: N815
    overallScore: float | None  # noqa: N815
    scoreMax: int | None  # noqa: N815 - the scale overallScore was given on (10 or 100)
    summary: str | None


class CallWithResults(CallView):
    transcript: str | None
    segments: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    violations: list[dict[str, Any]]


class CallsPage(Succeeded):
    calls: list[CallView]
    page: int
    limit: int
    total: int = Field(description="Calls matching the filter, all pages together")
    nextCursor: str | None  # noqa: N815 - pass as `cursor` for the next page; null on the last


class CallDetail(Succeeded):
    call: CallWithResults


class Reprocessing(TaskAccepted):
    callId: int  # noqa: N815


class ReprocessBatch(Succeeded):
    status: str
    count: int
    callIds: list[int]  # noqa: N815
    taskIds: list[str]  # noqa: N815
    skipped: int
