"""The HEMIS REST client: list pages and search, over `request_with_retries` and the server's budget.

401/403/404 raise `HemisRejected` (not retryable: a bad token or URL fails the run at once).
Every answer's `X-Rate-Limit-*` headers feed the deployment's shared budget; a 429 is not retried
here: it raises `RateLimitWait`, and the task tries again later without holding a worker slot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from shared.hemis.instance import HemisInstance, InstanceMissing, UnknownOrganization, resolve_instance
from shared.hemis.names import EMPLOYEES, STUDENTS
from shared.metrics import UpstreamMeter
from shared.services import Services
from shared.settings import Settings
from workers.hemis import lookups
from workers.hemis.envelope import Page, error_text, parse_list_page
from workers.ratelimit.budget import RATE_LIMITED, RateLimitWait, ServerBudget
from workers.upstream.http import (
    RETRY_STATUSES,
    RetryPolicy,
    UpstreamRejected,
    keep_alive_session,
    request_with_retries,
)

UPSTREAM_NAME = "hemis"
RETRIED_HERE = RETRY_STATUSES - {RATE_LIMITED}
REJECTING_STATUSES = frozenset({401, 403, 404})
SEARCH_LIMIT = 50
NO_BUDGET_PAUSE_S = 60.0  # a 429 seen without a budget to ask: the reference's fallback wait
# A page sleeps in its worker slot for its request slot at most this long; a later slot is booked
# and the task comes back for it (`ratelimit.budget`), so one organization's pace never holds the
# workers every organization shares.
INLINE_WAIT_MAX_S = 0.5
BOOK_AHEAD_S = 24 * 3600.0  # as far ahead as a slot is booked: the run's deadline ends it sooner
USER_AGENT = "navai-sync/hemis"

_LIST_PATHS = {STUDENTS: "student-list", EMPLOYEES: "employee-list", **lookups.LIST_PATHS}
# student-list returns only active students (status 11) unless told otherwise; employee-list wants
# `type`; the lookup lists' own parameters are `lookups.LIST_PARAMS`.
_LIST_PARAMS: dict[str, dict[str, str]] = {STUDENTS: {"_student_status": "-1"}, EMPLOYEES: {"type": "all"},
                                           **lookups.LIST_PARAMS}


class HemisRejected(UpstreamRejected):
    """HEMIS refused the request (401/403/404): the token or the URL is wrong; retrying cannot help."""


@dataclass
class HemisClient:
    base_url: str
    token: str
    budget: ServerBudget | None = None
    policy: RetryPolicy = RetryPolicy()
    verify: bool | str = True
    http: requests.Session | None = None
    sleep: Callable[[float], None] | None = None
    meter: UpstreamMeter | None = None
    own: bool = True  # the organization's own HEMIS (False: the deployment's): what a refusal says to fix
    _pause_s: float = field(default=0.0, init=False, repr=False)  # the pause the last answer imposed

    @classmethod
    def for_organization(cls, svc: Services, organization_id: int) -> "HemisClient":
        """The organization's HEMIS (`shared.hemis.instance`), on this thread's keep-alive session and
        the budget of its host (shared by every worker, and by organizations on the same host), with
        HEMIS_RATE_LIMIT as our own cap. `HemisRejected` when the organization has no HEMIS.

        Read from the database at every page, not cached: one statement on a bare connection
        beside a page's upsert of 200 rows, and a token changed in `PATCH /settings` is used by the
        very next page (a cached one kept failing the run with the old token for a while)."""
        try:
            with svc.engine.connect() as connection:
                instance = resolve_instance(connection, organization_id, svc.settings)
        except (InstanceMissing, UnknownOrganization) as exc:
            raise HemisRejected(str(exc)) from exc
        budget = ServerBudget(svc.redis, instance.budget_name, svc.settings.hemis_rate_limit,
                              max_inline_wait_s=INLINE_WAIT_MAX_S, book_ahead_s=BOOK_AHEAD_S)
        return cls.for_instance(svc.settings, instance, budget, http=keep_alive_session(),
                                meter=UpstreamMeter(svc.redis, UPSTREAM_NAME))

    @classmethod
    def for_instance(cls, settings: Settings, instance: HemisInstance, budget: ServerBudget | None,
                     **kwargs: Any) -> "HemisClient":
        return cls(base_url=instance.url, token=instance.token, budget=budget,
                   policy=RetryPolicy(read_timeout_s=settings.hemis_read_timeout_s),
                   verify=settings.hemis_ca_bundle or True, own=instance.own, **kwargs)

    def list_page(self, kind: str, page: int, limit: int) -> Page:
        params = {**_LIST_PARAMS.get(kind, {}), "page": str(page), "limit": str(limit)}
        return self._get_page(kind, params, f"HEMIS {_LIST_PATHS[kind]} page {page}")

    def search(self, kind: str, text: str) -> list[dict[str, Any]]:
        """Every row `search=` finds (an employee with several positions comes back as several rows)."""
        params = {**_LIST_PARAMS[kind], "search": text, "page": "1", "limit": str(SEARCH_LIMIT)}
        return self._get_page(kind, params, f"HEMIS {_LIST_PATHS[kind]} search").items

    def _get_page(self, kind: str, params: dict[str, str], what: str) -> Page:
        http = self.http or requests.Session()
        extra: dict[str, Any] = {"sleep": self.sleep} if self.sleep else {}
        response = request_with_retries(
            http, "GET", list_url(self.base_url, _LIST_PATHS[kind]), policy=self.policy, limiter=self.budget,
            describe=what, meter=self.meter, params=params, verify=self.verify, headers=self._headers(),
            retry_statuses=RETRIED_HERE, on_response=self._observe, **extra)
        try:
            if response.status_code == RATE_LIMITED:
                raise RateLimitWait(self._pause_s, throttled=True)
            if response.status_code in REJECTING_STATUSES:
                raise HemisRejected(_rejection_message(what, response, self.own), response.status_code)
            if response.status_code >= 400:
                raise UpstreamRejected(f"{what}: HTTP {response.status_code} ({error_text(response.content)})",
                                       response.status_code)
            return parse_list_page(response.content, response.headers.get("Content-Type", ""), what)
        finally:
            response.close()

    def _observe(self, response: requests.Response) -> None:
        self._pause_s = self.budget.observe(response.status_code, response.headers) if self.budget else 0.0
        if response.status_code == RATE_LIMITED and not self._pause_s:
            self._pause_s = NO_BUDGET_PAUSE_S

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json", "User-Agent": USER_AGENT}


def list_url(base_url: str, resource: str) -> str:
    """`{base}/rest/v1/data/{resource}`, whether HEMIS_API_URL names the host, `/rest` or `/rest/v1`."""
    base = base_url.rstrip("/")
    for suffix in ("/rest/v1/data", "/rest/v1", "/rest"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{base}/rest/v1/data/{resource}"


def _rejection_message(what: str, response: requests.Response, own: bool) -> str:
    """Names the setting to fix: the organization's own (PATCH /settings), or the deployment's."""
    token, url = (("the organization's hemisToken", "the organization's hemisUrl") if own
                  else ("HEMIS_BEARER_TOKEN", "HEMIS_API_URL"))
    hint = {401: f"check {token}", 403: f"{token} may not read this resource",
            404: f"check {url}"}[response.status_code]
    return f"{what}: HEMIS refused the request with HTTP {response.status_code} ({hint}): {error_text(response.content)}"
