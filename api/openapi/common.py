"""Response shapes several views share, for `@documented(responses=...)`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from api.openapi.meta import ResponseDoc


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # documented fields are promised; more may come


class Succeeded(_Open):
    success: Literal[True]


class RunAccepted(Succeeded):
    taskId: str  # noqa: N815 - the API's JSON is camelCase
    runId: str  # noqa: N815
    statusUrl: str  # noqa: N815


class TaskAccepted(Succeeded):
    taskId: str  # noqa: N815


class TaskStatus(_Open):
    taskId: str  # noqa: N815
    state: str
    result: Any = None


def ok(model: type[BaseModel], description: str = "Success") -> ResponseDoc:
    return ResponseDoc(description, model=model)


ACCEPTED_RUN = {202: ResponseDoc("Queued: follow the run at statusUrl", model=RunAccepted)}
SUCCEEDED = {200: ResponseDoc("Done", model=Succeeded)}
