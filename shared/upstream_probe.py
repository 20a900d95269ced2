"""What the one-request probes of an upstream (`shared.sipuni.probe`, `shared.hemis.probe`) share:
reading no more of an answer than they need, and saying why an upstream could not be reached
without quoting the request (its URL or body may carry a secret)."""

from __future__ import annotations

import requests
import urllib3

# Errors of a request that never got a usable answer (urllib3's own may escape while the body is read).
TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError)


def read_head(response: requests.Response, max_bytes: int, chunk_bytes: int) -> bytes:
    """The first `max_bytes` of the body (a probe judges an answer by its start; a bigger body is
    not the page asked for)."""
    head = b""
    for chunk in response.iter_content(chunk_bytes):
        head += chunk
        if len(head) >= max_bytes:
            break
    return head[:max_bytes]


def unreachable_message(upstream: str, host: str, exc: BaseException, connect_s: float, read_s: float) -> str:
    """Why `upstream` at `host` gave no answer: a timeout with its bounds, else the error's kind only."""
    if isinstance(exc, requests.Timeout):
        return f"{upstream} ({host}) did not answer within {connect_s:g} s to connect and {read_s:g} s to answer"
    return f"{upstream} ({host}) could not be reached ({type(exc).__name__})"
