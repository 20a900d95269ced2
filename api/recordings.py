"""`GET /calls/<id>/recording`: the call's audio, streamed from storage, with HTTP ranges.

Same access rule as `GET /calls/<id>` (an EMPLOYEE only their own calls; another organization's
call is 404). Answers 200 with the whole file, or 206 with `Content-Range` for one `Range: bytes=`
range (players seek with these), 416 for a range outside the file, 404 JSON when the call has no
stored recording. The bytes always come through the API, whichever storage holds them.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_jwt_extended import jwt_required

from api.calls import _visible_call  # the access rule of GET /calls/<id>, shared on purpose
from api.errors import ApiError, error_body
from api.services import services
from api.storage_http import storage_unavailable
from shared.db import session_scope
from shared.storage import ObjectNotFound, StorageError
from shared.storage.base import iter_chunks

bp = Blueprint("recordings", __name__, url_prefix="/calls")
bp.register_error_handler(StorageError, storage_unavailable)

CONTENT_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg"}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


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
@jwt_required()
def call_recording(call_id: int) -> ResponseReturnValue:
    with session_scope(services().session_factory) as session:
        key = _visible_call(session, call_id).recording_path
    storage = services().storage
    size = storage.size(key) if key else None
    if key is None or size is None:
        raise ApiError(404, f"Call {call_id} has no stored recording")
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-cache"}
    try:
        wanted = parse_range(request.headers.get("Range"), size)
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
    headers["Content-Length"] = str(last - first + 1 if size else 0)
    if wanted:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    content_type = CONTENT_TYPES.get(PurePosixPath(key).suffix.lower(), DEFAULT_CONTENT_TYPE)
    return Response(iter_chunks(stream), status=206 if wanted else 200, content_type=content_type, headers=headers)
