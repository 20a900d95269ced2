"""`GET /`: the runs page, a static HTML page whose JavaScript polls the JSON API every 2 s.

No build step: the files in `api/ui_static/` are served as they are. The page holds no data of
its own; everything it shows comes from `/auth/login`, `/runs`, `/runs/<id>` and `/overview`, with
the user's token, so it shows exactly what the API lets that user see.
"""

from __future__ import annotations

from flask import Blueprint, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("ui", __name__, static_folder="ui_static", static_url_path="/ui")

PAGE_FILE = "index.html"


@bp.get("/")
def runs_page() -> ResponseReturnValue:
    response = send_from_directory(bp.static_folder, PAGE_FILE, max_age=0)  # type: ignore[arg-type]
    response.headers["Cache-Control"] = "no-cache"
    return response
