"""Response shapes several routes share, for `@endpoint(responses=...)`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from api.http.declaration import ResponseDoc

HTML = "text/html"
ANY_MEDIA_TYPE = "*/*"


class Open(BaseModel):
    """A response shape: the documented fields are promised; more may come."""

    model_config = ConfigDict(extra="allow")


class Succeeded(Open):
    success: Literal[True]


class RunAccepted(Succeeded):
    taskId: str  # noqa: N815 - the API's JSON is camelCase
    runId: str  # noqa: N815
    statusUrl: str  # noqa: N815


class TaskAccepted(Succeeded):
    taskId: str  # noqa: N815


class TaskStatus(Open):
    taskId: str  # noqa: N815
    state: str
    result: Any = None


def ok(model: type[BaseModel], description: str = "Success") -> ResponseDoc:
    return ResponseDoc(description, model=model)


def page(description: str) -> dict[int | str, ResponseDoc]:
    """An HTML page."""
    return {200: ResponseDoc(description, media_type=HTML, schema={"type": "string"})}


ACCEPTED_RUN = {202: ResponseDoc("Queued: follow the run at statusUrl", model=RunAccepted)}
SUCCEEDED = {200: ResponseDoc("Done", model=Succeeded)}
