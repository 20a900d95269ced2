"""`GET /`: the runs page, a static HTML page whose JavaScript polls the JSON API every 2 s.

No build step: the files in `api/ui/static/` are served as they are, under `/ui/`. The page holds
no data of its own; everything it shows comes from `/auth/login`, `/runs`, `/runs/<id>` and
`/overview`, with the user's token, so it shows exactly what the API lets that user see.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from api.http.access import PUBLIC
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.openapi.common import ANY_MEDIA_TYPE, page

bp = Blueprint("ui", __name__)

STATIC_DIR = Path(__file__).parent / "static"
PAGE_FILE = "index.html"


@bp.get("/")
@endpoint(auth=PUBLIC, responses=page("The runs page"))
def runs_page() -> ResponseReturnValue:
    """The runs page (it logs in by itself)."""
    response = send_from_directory(STATIC_DIR, PAGE_FILE, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


class StaticFile(BaseModel):
    filename: str = Field(description="A file of the page: app.js, style.css, index.html")


# Declared like every route (a blueprint's own static_folder would add an undeclared one); the
# endpoint keeps the name Flask gives a blueprint's static files, `ui.static`.
@bp.get("/ui/<path:filename>", endpoint="static")
@endpoint(auth=PUBLIC, path=StaticFile, responses={200: ResponseDoc("The file", media_type=ANY_MEDIA_TYPE)})
def static_file(filename: str) -> ResponseReturnValue:
    """A file of the runs page (script, style sheet)."""
    return send_from_directory(STATIC_DIR, filename)
