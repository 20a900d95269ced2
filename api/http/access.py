"""Who may call a route: the `auth=` of `@endpoint`, checked before any input is read, so a caller
without the right credentials learns nothing about what the route would have accepted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    """`scheme` names the OpenAPI security scheme (None: public). `verify` gets the value of the
    `header` the credential travels in ("" when absent or when no header is named) and refuses by
    raising `ApiError` (401/403); what it returns reaches the view as the keyword `passes_as`, when
    set. `optional`: the credential is needed only when the deployment configures one."""

    scheme: str | None
    verify: Callable[[str], object] | None = None
    header: str | None = None
    roles: tuple[str, ...] = ()
    optional: bool = False
    passes_as: str | None = None


PUBLIC = Access(scheme=None)
