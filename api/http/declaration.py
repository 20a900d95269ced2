"""What a route declares once, in `@endpoint(...)`: who may call it, the models of its inputs and
its responses. `api.http.endpoint` enforces the declaration on every request; `api.openapi`
documents it; nothing else describes a route, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from api.http.access import Access

JSON = "application/json"
DECLARATION_ATTRIBUTE = "navai_endpoint"


@dataclass(frozen=True)
class ResponseDoc:
    """One documented response: a pydantic model (JSON), a raw JSON schema, or media types only."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str | tuple[str, ...] = JSON
    schema: dict[str, Any] | None = None

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type,) if isinstance(self.media_type, str) else self.media_type


@dataclass(frozen=True)
class Endpoint:
    """A route's one declaration. `path`, `query` and `headers` models name their fields as the
    URL variable, the query parameter and the header are spelled (an alias where Python cannot)."""

    auth: Access
    responses: dict[str, ResponseDoc]
    summary: str | None = None
    path: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    headers: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    input_models: dict[str, type[BaseModel]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not any(status[0] in "23" for status in self.responses):
            raise ValueError("an endpoint declares its success response (a 2xx or 3xx)")
        models = {"query": self.query, "headers": self.headers, "body": self.body}
        object.__setattr__(self, "input_models", {name: model for name, model in models.items() if model})


def declaration_of(view: Callable[..., Any] | None) -> Endpoint | None:
    """The view's declaration, or None for a view that has none."""
    return getattr(view, DECLARATION_ATTRIBUTE, None)
