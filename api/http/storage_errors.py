"""HTTP answers about the storage that several blueprints share."""

from __future__ import annotations

import logging

from flask import jsonify
from flask.typing import ResponseReturnValue

from api.http.errors import error_body
from shared.storage import StorageError

log = logging.getLogger(__name__)
STORAGE_UNAVAILABLE = "The file storage is unavailable; try again later"


def storage_unavailable(error: StorageError) -> ResponseReturnValue:
    """503 JSON when the object store cannot be reached (never a 500 with a trace)."""
    log.warning("storage error: %s", error)
    return jsonify(error_body(STORAGE_UNAVAILABLE)), 503
