"""The OpenAPI document and /docs (issue #12, point 8): generated from the code, complete, no token."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify

# The runs page, the dashboard and their static files are public (the page logs in itself), as are the docs' files.
PUBLIC = {"/auth/login", "/health", "/openapi.json", "/docs", "/docs/assets/{filename}", "/", "/dashboard",
          "/ui/{filename}"}
# The webhook has its own key; /metrics needs METRICS_TOKEN only when the deployment sets one.
OWN_SECURITY = {"/sipuni-integration": [{"webhookKey": []}], "/metrics": [{"metricsToken": []}, {}]}


def _documented_paths(document):  # type: ignore[no-untyped-def]
    return {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}


def test_every_route_is_documented_with_its_security(app, client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    expected = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        expected |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert _documented_paths(document) == expected
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert "4XX" in operation["responses"], path
            if path in OWN_SECURITY:
                assert operation["security"] == OWN_SECURITY[path], path
            else:
                assert operation["security"] == ([] if path in PUBLIC else [{"bearerAuth": []}]), path
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


def _parameters(operation):  # type: ignore[no-untyped-def]
    return {(parameter["in"], parameter["name"]) for parameter in operation["parameters"]}


def _media_types(operation, status="200"):  # type: ignore[no-untyped-def]
    return set(operation["responses"][status]["content"])


def test_the_routes_once_undocumented_show_their_parameters_bodies_and_responses(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    scoped = ("query", "organizationId")
    assert scoped in _parameters(paths["/settings"]["get"]) and "requestBody" in paths["/settings"]["patch"]
    assert paths["/organizations"]["post"]["description"] == "Roles: SUPERADMIN."
    assert "requestBody" in paths["/organizations"]["post"] and "requestBody" in paths["/users/{user_id}"]["patch"]
    for name in ("overview", "employees", "employees.csv", "employees.xlsx", "daily", "criteria"):
        assert {("query", "from"), ("query", "to"), scoped} <= _parameters(paths[f"/stats/{name}"]["get"]), name
    assert ("query", "employeeId") in _parameters(paths["/stats/daily"]["get"])
    assert ("query", "sort") in _parameters(paths["/stats/employees.xlsx"]["get"])
    assert _media_types(paths["/stats/employees.csv"]["get"]) == {"text/csv"}
    assert _media_types(paths["/stats/employees.xlsx"]["get"]) == \
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    recording = paths["/calls/{call_id}/recording"]["get"]
    assert ("header", "Range") in _parameters(recording) and "audio/mpeg" in _media_types(recording, "206")
    assert recording["responses"]["416"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/RangeNotSatisfiable")
    range_schema = next(p["schema"] for p in recording["parameters"] if p["name"] == "Range")
    assert range_schema["maxLength"] == 100 and range_schema["pattern"].startswith("^bytes=")
    assert {("query", "kind"), ("query", "limit")} <= _parameters(paths["/runs"]["get"])
    assert _media_types(paths["/metrics"]["get"]) == {"text/plain"}
    assert _media_types(paths["/"]["get"]) == {"text/html"}
    assert paths["/overview"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/Overview")


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
