"""`GET /calls/<id>/recording`: the call's audio, streamed from storage, with HTTP ranges.

Same access rule as `GET /calls/<id>` (an EMPLOYEE only their own calls; another organization's
call is 404). Answers 200 with the whole file, or 206 with `Content-Range` for one `Range: bytes=`
range (players seek with these), 416 for a range outside the file, 404 JSON when the call has no
stored recording. The bytes always come through the API, whichever storage holds them.

Range values are bounded: a `Range` header longer than `MAX_RANGE_HEADER_CHARS` is 400 naming
`Range` (turning thousands of digits into a number is refused by Python itself), and a position
of more than `MAX_POSITION_DIGITS` digits is 416 like any other position beyond the file.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, Literal

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from api.auth.access import SIGNED_IN
from api.auth.roles import OrganizationQuery
from api.calls.routes import _visible_call  # the access rule of GET /calls/<id>, shared on purpose
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.http.errors import ApiError, error_body
from api.http.services import services
from api.http.storage_errors import storage_unavailable
from shared.db import session_scope
from shared.storage import ObjectNotFound, StorageError
from shared.storage.base import iter_chunks

bp = Blueprint("recordings", __name__, url_prefix="/calls")
bp.register_error_handler(StorageError, storage_unavailable)

CONTENT_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg"}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
RANGE_RE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
# "bytes=" and two positions of 40 digits each fit with room to spare; longer is 400.
MAX_RANGE_HEADER_CHARS = 100
# 10**18 bytes is an exabyte: no recording reaches a position that long, so such a range is beyond
# the file (416) without making a number of it.
MAX_POSITION_DIGITS = 18
AUDIO_TYPES = (*CONTENT_TYPES.values(), DEFAULT_CONTENT_TYPE)
BINARY = {"type": "string", "format": "binary"}


class RangeNotSatisfiable(BaseModel):
    """416: the error body, with the recording's size (also in `Content-Range: bytes */size`)."""

    success: Literal[False]
    message: str
    errors: dict[str, Any]
    size: int


RESPONSES = {200: ResponseDoc("The whole recording", media_type=AUDIO_TYPES, schema=BINARY),
             206: ResponseDoc("One byte range of it, named by Content-Range", media_type=AUDIO_TYPES, schema=BINARY),
             416: ResponseDoc("The range lies beyond the recording", model=RangeNotSatisfiable)}


class RangeHeader(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    # The pattern documents the one form served (and aims the fuzz test's valid inputs at it); any
    # other value is still accepted, and answered with the whole file.
    range: str | None = Field(None, alias="Range", max_length=MAX_RANGE_HEADER_CHARS,
                              json_schema_extra={"pattern": RANGE_RE.pattern}, description=(
        "One byte range: `bytes=first-last`, `bytes=first-` or `bytes=-suffix`; any other form gets "
        f"the whole file. At most {MAX_RANGE_HEADER_CHARS} characters (400 beyond); a position of more "
        f"than {MAX_POSITION_DIGITS} digits, or beyond the file, is 416"))


class UnsatisfiableRange(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`(first, last)` inclusive for a single `bytes=` range, None for the whole file (no header,
    or a form we do not serve, such as several ranges: RFC 9110 lets a server ignore Range)."""
    match = RANGE_RE.match((header or "").strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if max(len(first_text), len(last_text)) > MAX_POSITION_DIGITS:
        raise UnsatisfiableRange
    if not first_text:  # "bytes=-N": the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise UnsatisfiableRange
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or (last_text and int(last_text) < first):
        raise UnsatisfiableRange
    return first, last


@bp.get("/<int:call_id>/recording")
@endpoint(auth=SIGNED_IN, query=OrganizationQuery, headers=RangeHeader, responses=RESPONSES)
def call_recording(call_id: int, query: OrganizationQuery, headers: RangeHeader) -> ResponseReturnValue:
    """The call's audio, whole or one byte range of it."""
    with session_scope(services().session_factory) as session:
        key = _visible_call(session, call_id).recording_path
    storage = services().storage
    size = storage.size(key) if key else None
    if key is None or size is None:
        raise ApiError(404, f"Call {call_id} has no stored recording")
    reply_headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-cache"}
    try:
        wanted = parse_range(headers.range, size)
    except UnsatisfiableRange:
        response = jsonify(error_body("The requested range is outside the recording", size=size))
        response.status_code = 416
        response.headers["Content-Range"] = f"bytes */{size}"
        return response
    first, last = wanted or (0, size - 1)
    try:
        stream = storage.open(key, *wanted) if wanted else storage.open(key)
    except ObjectNotFound:
        raise ApiError(404, f"Call {call_id} has no stored recording") from None
    reply_headers["Content-Length"] = str(last - first + 1 if size else 0)
    if wanted:
        reply_headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    content_type = CONTENT_TYPES.get(PurePosixPath(key).suffix.lower(), DEFAULT_CONTENT_TYPE)
    return Response(iter_chunks(stream), status=206 if wanted else 200, content_type=content_type,
                    headers=reply_headers)
