"""`@documented(...)`: what a view tells the OpenAPI document beyond what Flask already knows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

ViewT = TypeVar("ViewT", bound=Callable[..., Any])
DOC_ATTRIBUTE = "navai_openapi"


@dataclass(frozen=True)
class ResponseDoc:
    """One documented response: a pydantic model (JSON), a raw JSON schema, or a media type only."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str = "application/json"
    schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class RouteDoc:
    summary: str | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    responses: dict[str, ResponseDoc] = field(default_factory=dict)
    security: tuple[str, ...] | None = None  # names of security schemes; None = from the decorators
    hidden: bool = False


def documented(*, summary: str | None = None, query: type[BaseModel] | None = None,
               body: type[BaseModel] | None = None, responses: dict[int | str, ResponseDoc] | None = None,
               security: tuple[str, ...] | None = None, hidden: bool = False) -> Callable[[ViewT], ViewT]:
    """Attach OpenAPI details to a view; put it right under the route decorator."""
    doc = RouteDoc(summary=summary, query=query, body=body, security=security, hidden=hidden,
                   responses={str(status): response for status, response in (responses or {}).items()})

    def decorator(view: ViewT) -> ViewT:
        setattr(view, DOC_ATTRIBUTE, doc)
        return view

    return decorator


def doc_of(view: Callable[..., Any]) -> RouteDoc:
    """The view's `RouteDoc`, looked up through any decorators (`functools.wraps` chains)."""
    for function in unwrap_chain(view):
        doc = getattr(function, DOC_ATTRIBUTE, None)
        if doc is not None:
            return doc
    return RouteDoc()


def unwrap_chain(view: Callable[..., Any]) -> list[Callable[..., Any]]:
    chain = [view]
    while hasattr(chain[-1], "__wrapped__") and len(chain) < 20:
        chain.append(chain[-1].__wrapped__)
    return chain
