"""`GET /openapi.json` and `GET /docs` (Swagger UI, served from the pip package's own files: no CDN)."""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Response, current_app, jsonify, send_from_directory
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from api.http.access import PUBLIC
from api.http.declaration import ResponseDoc
from api.http.endpoint import endpoint
from api.openapi.builder import build_document
from api.openapi.common import ANY_MEDIA_TYPE, page

bp = Blueprint("docs", __name__)

SWAGGER_ASSETS = files("flask_openapi3_swagger") / "templates" / "swagger"
ASSET_MAX_AGE_S = 3600
# No inline script (the page's Content-Security-Policy runs none, `api.http.security_headers`):
# Swagger UI is started by a file of its own, served beside Swagger UI's files (START_SCRIPT).
START_SCRIPT = "navai-start.js"
DOCS_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>navai-sync API</title>
<link rel="stylesheet" href="/docs/assets/css/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/openapi.json"></div>
<script src="/docs/assets/js/swagger-ui-bundle.js"></script>
<script src="/docs/assets/{START_SCRIPT}"></script>
</body></html>
"""
# A token pasted into "Authorize" lives as long as the page: never in localStorage, where any script
# of this origin, and anyone at the browser later, would find it.
DOCS_SCRIPT = """"use strict";
window.ui = SwaggerUIBundle({url: document.getElementById("swagger-ui").dataset.url, dom_id: "#swagger-ui",
                             deepLinking: true, persistAuthorization: false});
"""
DOCUMENT_KEY = "navai_openapi_document"


@bp.get("/openapi.json")
@endpoint(auth=PUBLIC, responses={200: ResponseDoc("The OpenAPI 3.1 document of this API", schema={"type": "object"})})
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 document, generated from the running app's routes."""
    document = current_app.extensions.get(DOCUMENT_KEY)
    if document is None:  # routes are fixed once the app serves: build it once
        document = current_app.extensions[DOCUMENT_KEY] = build_document(current_app)
    return jsonify(document)


@bp.get("/docs")
@endpoint(auth=PUBLIC, responses=page("Swagger UI"))
def docs_page() -> ResponseReturnValue:
    """Interactive API documentation (Swagger UI) over /openapi.json."""
    return Response(DOCS_PAGE, mimetype="text/html")


class AssetPath(BaseModel):
    filename: str = Field(description="A file of Swagger UI, e.g. js/swagger-ui-bundle.js, or navai-start.js")


@bp.get("/docs/assets/<path:filename>")
@endpoint(auth=PUBLIC, path=AssetPath, responses={200: ResponseDoc("The file", media_type=ANY_MEDIA_TYPE)})
def docs_assets(filename: str) -> ResponseReturnValue:
    """A file of Swagger UI (script, style sheet, image), or the script that starts it."""
    if filename == START_SCRIPT:
        return Response(DOCS_SCRIPT, mimetype="text/javascript")
    return send_from_directory(str(SWAGGER_ASSETS), filename, max_age=ASSET_MAX_AGE_S)
