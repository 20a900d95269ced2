from __future__ import annotations


def _assert_json_error(response, status):
    assert response.status_code == status
    assert response.is_json, response.data[:200]
    body = response.get_json()
    assert body["success"] is False and isinstance(body["message"], str) and "errors" in body
    assert b"Traceback" not in response.data and b"<html" not in response.data.lower()
    return body


def test_unknown_route_is_json_404(client):
    _assert_json_error(client.get("/no/such/route"), 404)


def test_wrong_method_is_json_405(client):
    response = client.get("/auth/login")
    _assert_json_error(response, 405)
    assert "POST" in response.headers["Allow"]


def test_bad_json_is_json_400(client):
    body = _assert_json_error(client.post("/auth/login", data="{not json", content_type="application/json"), 400)
    assert "JSON" in body["message"]


def test_json_that_is_not_an_object_is_400(client):
    _assert_json_error(client.post("/auth/login", json=["a", "list"]), 400)


def test_unexpected_error_is_json_500_without_trace(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    body = _assert_json_error(client.get("/boom-for-test"), 500)
    assert "secret internals" not in body["message"]
