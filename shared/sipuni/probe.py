"""The Sipuni connection test: one cheap signed request that says whether an account works.

`POST {SIPUNI_API_URL}/statistic/export/all` with `limit=1`: the account's newest call, signed like
every request (`shared.sipuni.signing`). It is an endpoint the sync itself uses and one whose
answers are known from real responses (the reference notes, section 4), so "ok" means the sync
will be let in too. One attempt, no retries: a person waits for the answer, and it must say at
once what is wrong. The answer is one of `ProbeReason`:

- `ok`: HTTP 200 with an export (a `;`-separated header line);
- `wrong_credentials`: the "Неправильный хеш" page (a wrong account number or secret; Sipuni
  cannot tell which), or HTTP 401/403;
- `unreachable`: no connection, no answer within the timeouts, or a gateway's 502/503/504;
- `rate_limited`: HTTP 429 (with `Retry-After` when Sipuni gives one);
- `unexpected`: anything else (another status, an HTML page that is not an export).

The secret is only ever hashed: no message, exception or log line here carries it.
Here, in `shared`, beside the signing recipe the workers' client uses: the API (`POST
/sipuni/test-connection`, `PATCH /settings`) may not import the workers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from shared.sipuni.account import SipuniAccount
from shared.sipuni.signing import BAD_HASH_MARKER, signed
from shared.upstream_probe import TRANSPORT_ERRORS, read_head, unreachable_message

PROBE_ENDPOINT = "statistic/export/all"
# The newest single call: the smallest answer the export endpoints give.
PROBE_PARAMS = {"limit": "1", "order": "desc", "page": "1"}
PROBE_CONNECT_TIMEOUT_S = 5.0
PROBE_READ_TIMEOUT_S = 15.0
# Enough of the body to find the wrong-hash marker after a long head of markup, or the CSV header.
PROBE_SNIFF_BYTES = 64 * 1024
CHUNK_BYTES = 8 * 1024
REFUSED_STATUSES = frozenset({401, 403})
GATEWAY_STATUSES = frozenset({502, 503, 504})
CSV_DELIMITER = ";"


class ProbeReason(str, enum.Enum):
    OK = "ok"
    WRONG_CREDENTIALS = "wrong_credentials"
    UNREACHABLE = "unreachable"
    RATE_LIMITED = "rate_limited"
    UNEXPECTED = "unexpected"


PROBE_REASONS = tuple(reason.value for reason in ProbeReason)


@dataclass(frozen=True)
class ProbeResult:
    reason: ProbeReason
    message: str

    @property
    def success(self) -> bool:
        return self.reason is ProbeReason.OK

    def as_json(self) -> dict[str, Any]:
        return {"success": self.success, "message": self.message, "reason": self.reason.value}


def probe_account(base_url: str, account: SipuniAccount, http: requests.Session | None = None) -> ProbeResult:
    """Ask Sipuni for the account's newest call and judge the answer (never raises for a
    network or HTTP problem: that is the answer)."""
    host = urlsplit(base_url).hostname or base_url  # never the URL's user info, should it carry any
    body = signed({**PROBE_PARAMS, "user": account.user}, account.secret)
    session = http or requests.Session()
    try:
        with session.post(f"{base_url.rstrip('/')}/{PROBE_ENDPOINT}", data=body, stream=True,
                          timeout=(PROBE_CONNECT_TIMEOUT_S, PROBE_READ_TIMEOUT_S)) as response:
            return judge_answer(response.status_code, response.headers.get("Retry-After"), _head(response),
                                account.user)
    except TRANSPORT_ERRORS as exc:
        return ProbeResult(ProbeReason.UNREACHABLE, unreachable_message(
            "Sipuni", host, exc, PROBE_CONNECT_TIMEOUT_S, PROBE_READ_TIMEOUT_S))
    finally:
        if http is None:
            session.close()


def judge_answer(status: int, retry_after: str | None, head: bytes, user: str) -> ProbeResult:
    """What an answer to the probe means (`head`: the first bytes of its body)."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if BAD_HASH_MARKER in text:
        return ProbeResult(ProbeReason.WRONG_CREDENTIALS,
                           f"Sipuni refused the signature (\"{BAD_HASH_MARKER}\", HTTP {status}): the account "
                           f"number {user} or the secret is wrong")
    if status in REFUSED_STATUSES:
        return ProbeResult(ProbeReason.WRONG_CREDENTIALS, f"Sipuni refused account {user} (HTTP {status})")
    if status == 429:
        wait = f"; try again in {retry_after.strip()} s" if retry_after and retry_after.strip().isdigit() else \
            "; try again later"
        return ProbeResult(ProbeReason.RATE_LIMITED, f"Sipuni is limiting requests (HTTP 429){wait}")
    if status in GATEWAY_STATUSES:
        return ProbeResult(ProbeReason.UNREACHABLE, f"Sipuni is not available right now (HTTP {status})")
    if status == 200 and _is_export(text):
        return ProbeResult(ProbeReason.OK, f"Sipuni accepted account {user}")
    what = "an HTML page" if text.startswith("<") else "a body that is not an export"
    return ProbeResult(ProbeReason.UNEXPECTED, f"Sipuni answered HTTP {status} with {what}")


def _is_export(text: str) -> bool:
    """A CSV export: its first line is a `;`-separated header (no HTML, no JSON)."""
    first_line = text.split("\n", 1)[0]
    return bool(first_line) and not first_line.startswith(("<", "{", "[")) and CSV_DELIMITER in first_line


def _head(response: requests.Response) -> bytes:
    return read_head(response, PROBE_SNIFF_BYTES, CHUNK_BYTES)
