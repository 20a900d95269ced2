"""The OpenAPI document and /docs (issue #12, point 8): generated from the code, complete, no token."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify

from api.openapi.meta import DOC_ATTRIBUTE

# The runs page and its static files are public (the page logs in itself); /metrics needs METRICS_TOKEN only when set.
PUBLIC = {"/auth/login", "/health", "/openapi.json", "/docs", "/", "/ui/{filename}", "/metrics"}  # the webhook has its own key


def _documented_paths(document):  # type: ignore[no-untyped-def]
    return {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}


def test_every_route_is_documented_with_its_security(app, client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    expected = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or getattr(view, DOC_ATTRIBUTE, None) and getattr(view, DOC_ATTRIBUTE).hidden:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        expected |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert _documented_paths(document) == expected
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert "4XX" in operation["responses"], path
            secured = operation["security"] != []
            assert secured == (path not in PUBLIC), path
    webhook = document["paths"]["/sipuni-integration"]["post"]
    assert webhook["security"] == [{"webhookKey": []}]
    assert webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookBody")


def test_parameters_come_from_converters_and_query_models(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    call_id = paths["/calls/{call_id}"]["get"]["parameters"][0]
    assert call_id["in"] == "path" and call_id["schema"]["type"] == "integer"
    query = {parameter["name"]: parameter for parameter in paths["/calls"]["get"]["parameters"]}
    assert {"page", "limit", "from", "to", "employeeId", "status"} <= set(query)
    assert query["limit"]["schema"]["maximum"] == 100
    admin_only = paths["/users"]["get"]
    assert "ADMIN" in admin_only["description"] and "SUPERADMIN" in admin_only["description"]


def test_a_route_added_later_is_documented_without_extra_work(settings):
    from api import create_app

    app = create_app(settings)
    extra = Blueprint("extra", __name__)

    @extra.get("/extra/<int:thing_id>/<name>")
    def extra_view(thing_id: int, name: str):  # type: ignore[no-untyped-def]
        """A route another module adds."""
        return jsonify({"success": True})

    app.register_blueprint(extra)
    try:
        document = app.test_client().get("/openapi.json").get_json()
    finally:
        app.extensions["navai"].engine.dispose()
    operation = document["paths"]["/extra/{thing_id}/{name}"]["get"]
    assert operation["summary"] == "A route another module adds."
    assert [parameter["name"] for parameter in operation["parameters"]] == ["thing_id", "name"]
    assert operation["security"] == []


def test_docs_page_is_self_contained(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/openapi.json" in html and "/docs/assets/js/swagger-ui-bundle.js" in html
    bundle = client.get("/docs/assets/js/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.get_data()) > 100_000
    assert client.get("/docs/assets/../../../etc/passwd").status_code == 404
