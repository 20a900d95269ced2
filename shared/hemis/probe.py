"""The HEMIS token check: the cheapest request that says whether a HEMIS and its token work.

`GET {base}/rest/v1/data/student-list?page=1&limit=1&_student_status=-1` with the bearer token:
the probe used in the wild (reference §2.2), on the list the sync itself reads, with the status
filter the sync sends, so its `totalCount` is the count a full run will see (every status, each
enrolment once). One attempt, no retries: a person waits for the answer. The answer is one of
`HemisProbeReason`:

- `ok`: HTTP 200 with HEMIS's envelope (`success: true`, `data.pagination.totalCount`): the
  student count, and the rate limit the server announces (Yii2's `X-Rate-Limit-Limit`,
  `-Remaining`, `-Reset`; none when the installation switched them off);
- `unauthorized`: HTTP 401/403 (Yii2's "Your request was made with invalid credentials."), or
  HTTP 200 with `success: false` (reference open question 1: some installations may refuse so);
- `unreachable`: no connection, no answer within the timeouts, a TLS failure, or a 5xx;
- `not_hemis`: something answered, but not HEMIS: an HTML page, a 404, JSON without the envelope;
- `rate_limited`: HTTP 429 (Yii2 sends no `Retry-After`; `X-Rate-Limit-Reset` is its window).

The token goes in the Authorization header only: no message, exception text or log line here
carries it (nor the URL's user info). The URL and token are arguments: the deployment's HEMIS
today, an organization's tomorrow. Here, in `shared`, because the API may not import the workers.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import requests

from shared.upstream_probe import TRANSPORT_ERRORS, read_head, unreachable_message

PROBE_RESOURCE = "student-list"
# One item of every status: the smallest page, counting what a full run counts.
PROBE_PARAMS = {"page": "1", "limit": "1", "_student_status": "-1"}
PROBE_CONNECT_TIMEOUT_S = 5.0
PROBE_READ_TIMEOUT_S = 15.0
# A one-item page is a few KB; more than this is not the answer we asked for.
PROBE_MAX_BYTES = 256 * 1024
CHUNK_BYTES = 16 * 1024
USER_AGENT = "navai-sync/hemis-check"
REFUSED_STATUSES = frozenset({401, 403})
RATE_LIMITED = 429
# Yii2's RateLimiter headers, as the answer's `rateLimit` names them.
RATE_LIMIT_HEADERS = {"limit": "X-Rate-Limit-Limit", "remaining": "X-Rate-Limit-Remaining",
                      "reset": "X-Rate-Limit-Reset"}
ERROR_EXCERPT_CHARS = 120


class HemisProbeReason(str, enum.Enum):
    OK = "ok"
    UNAUTHORIZED = "unauthorized"
    UNREACHABLE = "unreachable"
    NOT_HEMIS = "not_hemis"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class RateLimitHeaders:
    """What the server's `X-Rate-Limit-*` headers said (Yii2: requests per window, requests left,
    seconds until the allowance is whole again); a header it did not send is None."""

    limit: int | None
    remaining: int | None
    reset: int | None

    def as_json(self) -> dict[str, int | None]:
        return {"limit": self.limit, "remaining": self.remaining, "reset": self.reset}


@dataclass(frozen=True)
class HemisProbeResult:
    reason: HemisProbeReason
    message: str
    student_count: int | None = None
    rate_limit: RateLimitHeaders | None = None

    @property
    def success(self) -> bool:
        return self.reason is HemisProbeReason.OK

    def as_json(self) -> dict[str, Any]:
        return {"success": self.success, "message": self.message, "reason": self.reason.value,
                "studentCount": self.student_count,
                "rateLimit": self.rate_limit.as_json() if self.rate_limit is not None else None}


def probe_hemis(base_url: str, token: str, *, verify: bool | str = True,
                http: requests.Session | None = None) -> HemisProbeResult:
    """Ask HEMIS for one student and judge the answer (never raises for a network or HTTP
    problem: that is the answer). `verify`: True, or the CA bundle a HEMIS's certificate needs."""
    host = urlsplit(base_url).hostname or "the configured URL"
    session = http or requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": USER_AGENT}
    try:
        with session.get(student_list_url(base_url), params=PROBE_PARAMS, headers=headers, stream=True,
                         verify=verify, timeout=(PROBE_CONNECT_TIMEOUT_S, PROBE_READ_TIMEOUT_S)) as response:
            result = judge_answer(host, response.status_code, response.headers, _head(response))
        # An error body quoting the request back would quote the token: it never leaves here.
        return replace(result, message=result.message.replace(token, "***")) if token else result
    except requests.exceptions.SSLError:
        return HemisProbeResult(HemisProbeReason.UNREACHABLE, f"HEMIS ({host}): the TLS connection failed (its "
                                                              "certificate is not trusted? see HEMIS_CA_BUNDLE)")
    except TRANSPORT_ERRORS as exc:
        return HemisProbeResult(HemisProbeReason.UNREACHABLE, unreachable_message(
            "HEMIS", host, exc, PROBE_CONNECT_TIMEOUT_S, PROBE_READ_TIMEOUT_S))
    finally:
        if http is None:
            session.close()


def judge_answer(host: str, status: int, headers: Any, body: bytes) -> HemisProbeResult:
    """What an answer to the probe means (`headers`: a case-insensitive mapping)."""
    limits = rate_limit_of(headers)
    if status in REFUSED_STATUSES:
        return HemisProbeResult(HemisProbeReason.UNAUTHORIZED, f"HEMIS ({host}) refused the token (HTTP {status}: "
                                                               f"{_error_text(body)})", rate_limit=limits)
    if status == RATE_LIMITED:
        wait = f"; the allowance refills within {limits.reset} s" if limits and limits.reset is not None else ""
        return HemisProbeResult(HemisProbeReason.RATE_LIMITED, f"HEMIS ({host}) is limiting requests (HTTP 429)"
                                                               f"{wait}", rate_limit=limits)
    if status >= 500:
        return HemisProbeResult(HemisProbeReason.UNREACHABLE, f"HEMIS ({host}) is not available right now "
                                                              f"(HTTP {status})", rate_limit=limits)
    envelope = _json_object(body) if status == 200 else None
    if envelope is not None and envelope.get("success") is False:
        return HemisProbeResult(HemisProbeReason.UNAUTHORIZED, f"HEMIS ({host}) refused the request (success=false: "
                                                               f"{_error_text(body)})", rate_limit=limits)
    count = _total_count(envelope) if envelope is not None and envelope.get("success") is True else None
    if count is None:
        return HemisProbeResult(HemisProbeReason.NOT_HEMIS, f"{host} answered HTTP {status} with {_what(body)}, "
                                                            "not HEMIS's student list: check the HEMIS URL",
                                rate_limit=limits)
    return HemisProbeResult(HemisProbeReason.OK, f"HEMIS ({host}) accepted the token: {count} students (every "
                                                 "status, each enrolment)", student_count=count, rate_limit=limits)


def rate_limit_of(headers: Any) -> RateLimitHeaders | None:
    """The `X-Rate-Limit-*` headers as ints; None when the server sent none of them."""
    values = {name: _int(headers.get(header)) for name, header in RATE_LIMIT_HEADERS.items()}
    if all(value is None for value in values.values()):
        return None
    return RateLimitHeaders(**values)


def student_list_url(base_url: str) -> str:
    """`{base}/rest/v1/data/student-list`, whether the URL names the host, `/rest` or `/rest/v1` (the
    rule of the workers' client, `workers.hemis.client.list_url`)."""
    base = base_url.strip().rstrip("/")
    for suffix in ("/rest/v1/data", "/rest/v1", "/rest"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{base}/rest/v1/data/{PROBE_RESOURCE}"


def _total_count(envelope: dict[str, Any]) -> int | None:
    """`data.pagination.totalCount`; `data` and `pagination` may be one-element arrays (the Swagger's form)."""
    data = _single(envelope.get("data"))
    pagination = _single(data.get("pagination")) if isinstance(data, dict) else None
    count = pagination.get("totalCount") if isinstance(pagination, dict) else None
    return _int(count)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _error_text(body: bytes) -> str:
    """Yii2's `message`, the envelope's `error`, or a short excerpt of the body."""
    parsed = _json_object(body)
    text = str(parsed.get("message") or parsed.get("error") or "no message") if parsed else _what(body)
    text = " ".join(text.split())
    return text if len(text) <= ERROR_EXCERPT_CHARS else text[:ERROR_EXCERPT_CHARS] + "…"


def _what(body: bytes) -> str:
    start = body.lstrip()[:1]
    if not start:
        return "an empty body"
    if start == b"<":
        return "an HTML page"
    return "JSON" if _json_object(body) is not None else "a body that is not JSON"


def _single(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _head(response: requests.Response) -> bytes:
    """The body, read no further than PROBE_MAX_BYTES (a bigger one is not the page asked for)."""
    return read_head(response, PROBE_MAX_BYTES + 1, CHUNK_BYTES)
