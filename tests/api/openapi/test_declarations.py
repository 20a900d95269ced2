"""One declaration per route: `@endpoint(...)` both validates a route's requests and documents it.

(a) every rule of the URL map is in /openapi.json with every method; (b) every field of a route's
path, query and header models is a parameter of its operation, its body model its requestBody,
its responses there; (c) no module but the declaration module reads the request's inputs, so a
view cannot read a parameter its route does not document; (d) every view is declared. Each check
is also shown failing on an app, a document or a module that breaks it.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from flask import Blueprint, jsonify

from tests.api.openapi import declarations

API_ROOT = Path(__file__).resolve().parents[3] / "api"
DECLARATION_MODULE = API_ROOT / "http" / "endpoint.py"


@pytest.fixture
def document(client):  # type: ignore[no-untyped-def]
    return client.get("/openapi.json").get_json()


def test_every_rule_and_method_is_in_the_document(app, document):
    assert declarations.undocumented_operations(app, document) == []


def test_every_declared_input_and_response_is_documented(app, document):
    assert declarations.documentation_gaps(app, document) == []


def test_only_the_declaration_module_reads_the_request():
    modules = sorted(API_ROOT.rglob("*.py"))
    assert DECLARATION_MODULE in modules and declarations.request_reads(DECLARATION_MODULE.read_text())
    reads = {str(path.relative_to(API_ROOT.parent)): declarations.request_reads(path.read_text())
             for path in modules if path != DECLARATION_MODULE}
    assert {path: found for path, found in reads.items() if found} == {}


def test_every_view_is_declared(app):
    assert declarations.undeclared_views(app) == []


# --- each check fails on what it guards against --------------------------------------------------

def test_a_route_without_a_declaration_is_caught(settings):
    from api import create_app

    app = create_app(settings)
    extra = Blueprint("extra", __name__)

    @extra.get("/extra/<int:thing_id>")
    def extra_view(thing_id: int):  # type: ignore[no-untyped-def]
        return jsonify({"success": True})

    app.register_blueprint(extra)
    try:
        assert declarations.undeclared_views(app) == ["extra.extra_view"]
    finally:
        app.extensions["navai"].engine.dispose()


def test_an_operation_missing_from_the_document_is_caught(app, document):
    broken = copy.deepcopy(document)
    del broken["paths"]["/settings"]["patch"]
    del broken["paths"]["/metrics"]
    assert declarations.undocumented_operations(app, broken) == ["GET /metrics", "PATCH /settings"]


def test_an_input_or_response_missing_from_the_document_is_caught(app, document):
    broken = copy.deepcopy(document)
    recording = broken["paths"]["/calls/{call_id}/recording"]["get"]
    recording["parameters"] = [p for p in recording["parameters"] if p["name"] != "Range"]
    settings_patch = broken["paths"]["/settings"]["patch"]
    del settings_patch["requestBody"]
    settings_patch["parameters"] = []
    del broken["paths"]["/stats/employees.csv"]["get"]["responses"]["200"]
    assert sorted(declarations.documentation_gaps(app, broken)) == [
        "GET /calls/<int:call_id>/recording: header parameter 'Range' is not documented",
        "GET /stats/employees.csv: the 200 response is not documented",
        "PATCH /settings: query parameter 'organizationId' is not documented",
        "PATCH /settings: the body OrganizationSettings is not documented",
    ]


@pytest.mark.parametrize("source", [
    "from flask import request\nrequest.args.get('page')\n",
    "from flask import request\ndef view():\n    return request.get_json()\n",
    "from flask import request as incoming\nincoming.headers['Range']\n",
    "import flask\nflask.request.cookies\n",
    "from flask import request\nhelper(request)\n",
    "from flask import request\ngetattr(request, 'form')\n",
])
def test_a_module_reading_the_request_is_caught(source):
    assert declarations.request_reads(source)


def test_what_is_not_an_input_is_let_through():
    source = ("from flask import request, jsonify\nrequest.method\nrequest.path\nrequest.endpoint\n"
              "args = {}\nargs.get('x')\n")
    assert declarations.request_reads(source) == []
