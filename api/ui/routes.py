"""`GET /`: the runs page, a static HTML page whose JavaScript polls the JSON API every 2 s;
`GET /dashboard`: the call centre's dashboard (figures of a period, charts, employees, the
missed-calls worklist with playback).

No build step: the files in `api/ui/static/` are served as they are, under `/ui/`. The pages hold
no data of their own; everything they show comes from the JSON API (`/auth/login`, `/runs`,
`/overview`, `/stats/*`, `/calls`, ...) with the user's token, so they show exactly what the API
lets that user see.
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
DASHBOARD_FILE = "dashboard.html"


@bp.get("/")
@endpoint(auth=PUBLIC, responses=page("The runs page"))
def runs_page() -> ResponseReturnValue:
    """The runs page (it logs in by itself)."""
    return _page(PAGE_FILE)


@bp.get("/dashboard")
@endpoint(auth=PUBLIC, responses=page("The dashboard page"))
def dashboard_page() -> ResponseReturnValue:
    """The dashboard: a period's figures, daily charts, employees and the missed-calls worklist
    (it logs in by itself, with the runs page's token)."""
    return _page(DASHBOARD_FILE)


def _page(name: str) -> ResponseReturnValue:
    """An HTML page, revalidated on every visit (a new release's page is seen at once)."""
    response = send_from_directory(STATIC_DIR, name, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


class StaticFile(BaseModel):
    filename: str = Field(description="A file of the pages: app.js, dashboard.js, style.css, ...")


# Declared like every route (a blueprint's own static_folder would add an undeclared one); the
# endpoint keeps the name Flask gives a blueprint's static files, `ui.static`.
@bp.get("/ui/<path:filename>", endpoint="static")
@endpoint(auth=PUBLIC, path=StaticFile, responses={200: ResponseDoc("The file", media_type=ANY_MEDIA_TYPE)})
def static_file(filename: str) -> ResponseReturnValue:
    """A file of the pages (script, style sheet)."""
    return send_from_directory(STATIC_DIR, filename)
