"""The Sipuni statistics API client: signed exports and streamed recording downloads.

Retries (timeouts, 429, 5xx, Retry-After) and the rate limit shared by all workers come from
`workers.upstream_http.request_with_retries`. What is Sipuni-specific is here: a wrong signature
is an HTML page saying "Неправильный хеш" (usually with HTTP 500, which would otherwise look
retryable), a missing recording is a 404 or a body that is not audio.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import requests
import urllib3

from shared.metrics import UpstreamMeter
from shared.sipuni.names import format_sipuni_day
from workers.ratelimit.slots import RateLimiter
from workers.sipuni.csv_parser import BAD_HASH_MARKER, HTML_SNIFF_BYTES, CsvFormatError, check_not_error_page
from workers.sipuni.signing import signed
from workers.upstream.http import RetryPolicy, UpstreamRejected, UpstreamUnavailable, request_with_retries

DOWNLOAD_CHUNK_BYTES = 64 * 1024
EXPORT_ORDER_NEWEST_FIRST = "desc"
MAGIC_BYTES_NEEDED = 12  # "RIFF" + 4 size bytes + "WAVE"
AUDIO_CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg"}
IDENTITY_ENCODINGS = ("", "identity")
# Errors while reading a streamed body: the connection dropped mid-download.
STREAM_ERRORS = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                 requests.exceptions.ContentDecodingError, requests.Timeout, urllib3.exceptions.HTTPError)

# `/statistic/export` with every parameter of the current API (23 + hash). Show-flags are off so
# the header is the default one; `rating` and `timeFrom`/`timeTo` stay empty (non-empty values
# filter calls away); `anonymous=1` and `ignoreSpecChar=1` as in Sipuni's own example.
EXPORT_DEFAULTS: dict[str, str] = {
    "anonymous": "1", "crmLinks": "0", "dtmfUserAnswer": "0", "firstTime": "0", "fromNumber": "",
    "hangupinitor": "0", "ignoreSpecChar": "1", "names": "0", "numbersInvolved": "0", "numbersRinged": "0",
    "outgoingLine": "0", "rating": "", "showTreeId": "0", "state": "0", "timeFrom": "", "timeTo": "",
    "toAnswer": "", "toNumber": "", "tree": "", "type": "0",
}


class SipuniAuthError(UpstreamRejected):
    """Sipuni refused the signature ("Неправильный хеш")."""


@dataclass(frozen=True)
class Recording:
    path: Path
    size: int
    sha256: str
    extension: str

    @property
    def content_type(self) -> str:
        return AUDIO_CONTENT_TYPES[self.extension]


class _SignatureAwareHttp:
    """A requests session that turns Sipuni's "wrong hash" page into an error at once, so that
    `request_with_retries` does not retry a 500 that no retry can fix. An error body is read up
    to `HTML_SNIFF_BYTES` (never more: it is kept, truncated, for the caller's message)."""

    def __init__(self, http: requests.Session) -> None:
        self._http = http

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self._http.request(method, url, **kwargs)
        if response.status_code >= 400:
            head = response.raw.read(HTML_SNIFF_BYTES, decode_content=True) if kwargs.get("stream") \
                else response.content[:HTML_SNIFF_BYTES]
            raise_if_bad_hash(head, response)
            if kwargs.get("stream"):
                response._content = head  # the start of the error body, for messages
                response._content_consumed = True  # type: ignore[attr-defined]
        return response


def raise_if_bad_hash(head: bytes, response: requests.Response) -> None:
    if BAD_HASH_MARKER.encode() in head:
        response.close()
        raise SipuniAuthError(f"Sipuni answered \"{BAD_HASH_MARKER}\" (wrong signature, HTTP "
                              f"{response.status_code}): check the account number and secret", response.status_code)


class SipuniClient:
    def __init__(self, base_url: str, user: str, secret: str, *, http: requests.Session | None = None,
                 limiter: RateLimiter | None = None, policy: RetryPolicy = RetryPolicy(),
                 meter: UpstreamMeter | None = None) -> None:
        if not user or not secret:
            raise UpstreamRejected("no Sipuni account configured: set the organization's sipuni_user/"
                                   "sipuni_secret or SIPUNI_USER/SIPUNI_SECRET")
        self.base_url = base_url.rstrip("/")
        self.user = str(user)
        self._secret = secret
        self._http = _SignatureAwareHttp(http or requests.Session())
        self._limiter = limiter
        self._policy = policy
        self._meter = meter

    def _post(self, endpoint: str, params: dict[str, str], *, stream: bool = False) -> requests.Response:
        body = signed({**params, "user": self.user}, self._secret)
        return request_with_retries(self._http, "POST", f"{self.base_url}/{endpoint}",  # type: ignore[arg-type]
                                    policy=self._policy, limiter=self._limiter, data=body, stream=stream,
                                    describe=f"Sipuni {endpoint}", meter=self._meter)

    # --- exports ---------------------------------------------------------------------------------

    def export_all_to(self, destination: Path, limit: int, page: int = 1,
                      order: str = EXPORT_ORDER_NEWEST_FIRST) -> None:
        """The last `limit` calls (all time, newest first) into `destination`."""
        params = {"limit": str(limit), "order": order, "page": str(page)}
        self._download_export("statistic/export/all", params, destination)

    def export_to(self, destination: Path, date_from: date, date_to: date) -> None:
        """Every call between the two dates (inclusive, the account's local dates)."""
        params = {**EXPORT_DEFAULTS, "from": format_sipuni_day(date_from), "to": format_sipuni_day(date_to)}
        self._download_export("statistic/export", params, destination)

    def _download_export(self, endpoint: str, params: dict[str, str], destination: Path) -> None:
        response = self._post(endpoint, params, stream=True)
        with response:
            if response.status_code != 200:
                raise UpstreamRejected(f"Sipuni {endpoint}: HTTP {response.status_code}: "
                                       f"{response.content[:200]!r}", response.status_code)
            try:
                _stream_to_file(response, destination)
            except STREAM_ERRORS as exc:
                destination.unlink(missing_ok=True)
                raise UpstreamUnavailable(f"Sipuni {endpoint}: connection dropped ({type(exc).__name__})") from exc
        with destination.open("rb") as saved:
            try:
                check_not_error_page(saved.read(HTML_SNIFF_BYTES))
            except CsvFormatError as exc:
                destination.unlink(missing_ok=True)
                raise UpstreamRejected(f"Sipuni {endpoint}: {exc}") from exc

    # --- recordings ------------------------------------------------------------------------------

    def download_recording(self, record_id: str, destination: Path) -> Recording | None:
        """Stream the recording into `destination`; None when Sipuni has none for this call.

        A dropped connection deletes the partial file and raises `UpstreamUnavailable`.
        """
        response = self._post("statistic/record", {"id": record_id}, stream=True)
        with response:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise UpstreamRejected(f"Sipuni record {record_id}: HTTP {response.status_code}", response.status_code)
            # The bytes decide, not the Content-Type: real servers label MP3s
            # application/force-download, and an HTML page may come as audio/mpeg.
            try:
                return _stream_recording(response, destination)
            except STREAM_ERRORS as exc:
                destination.unlink(missing_ok=True)
                raise UpstreamUnavailable(
                    f"Sipuni record {record_id}: connection dropped mid-download ({type(exc).__name__})") from exc
            except BaseException:
                destination.unlink(missing_ok=True)
                raise


def audio_extension(head: bytes) -> str | None:
    """The file extension for these first bytes, or None if they are not audio we know: an ID3
    tag or an MPEG frame sync (`FF Ex`) is MP3, `RIFF....WAVE` is WAV, `OggS` is Ogg."""
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    return None


def _stream_to_file(response: requests.Response, destination: Path) -> int:
    written = 0
    with destination.open("wb") as out:
        for chunk in response.iter_content(DOWNLOAD_CHUNK_BYTES):
            out.write(chunk)
            written += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    _check_complete(response, written)
    return written


def _stream_recording(response: requests.Response, destination: Path) -> Recording | None:
    digest = hashlib.sha256()
    size = 0
    extension: str | None = None
    chunks = response.iter_content(DOWNLOAD_CHUNK_BYTES)
    head = b""
    for chunk in chunks:  # gather enough bytes to check the magic before creating the file
        head += chunk
        if len(head) >= MAGIC_BYTES_NEEDED:
            break
    extension = audio_extension(head)
    if extension is None:  # empty, HTML, JSON or text: no recording, unless it is the wrong-hash page
        for chunk in chunks:
            if len(head) >= HTML_SNIFF_BYTES:
                break
            head += chunk
        raise_if_bad_hash(head[:HTML_SNIFF_BYTES], response)
        return None
    with destination.open("wb") as out:
        for chunk in _chain_first(head, chunks):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    _check_complete(response, size)
    return Recording(path=destination, size=size, sha256=digest.hexdigest(), extension=extension)


def _chain_first(first: bytes, rest: Any) -> Any:
    yield first
    yield from rest


def _check_complete(response: requests.Response, received: int) -> None:
    """A body shorter than its Content-Length is a dropped connection. With a Content-Encoding
    (gzip...) the header counts the bytes on the wire, not the `received` decoded ones."""
    expected = response.headers.get("Content-Length")
    if expected is None or not expected.isdigit():
        return
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    on_wire = received if encoding in IDENTITY_ENCODINGS else response.raw.tell()
    if int(expected) != on_wire:
        raise requests.exceptions.ChunkedEncodingError(f"got {on_wire} of {expected} bytes")
