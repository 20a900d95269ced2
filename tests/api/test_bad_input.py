"""Every input the attack report answered 500 to is now a 4xx JSON error (issue #12, point 9)."""

from __future__ import annotations

import pytest

DEEP_JSON = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000


def _is_json_4xx(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json and response.get_json()["success"] is False


def test_a_page_far_beyond_bigint_is_400(client, auth_headers):
    _is_json_4xx(client.get(f"/calls?page={10**17}", headers=auth_headers()), 400)


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=9999-12-31", "from=0001-01-01T00:00:00%2B05:00",
                                   "to=0001-01-01", "from=1899-12-31T23:00:00"])
def test_extreme_dates_in_call_filters_are_400(query, client, auth_headers):
    response = client.get(f"/calls?{query}", headers=auth_headers())
    _is_json_4xx(response, 400)
    assert set(response.get_json()["errors"]) & {"from", "to"}


def test_a_nul_byte_in_a_path_is_400(client, auth_headers):
    _is_json_4xx(client.get("/runs/abc%00def", headers=auth_headers()), 400)
    _is_json_4xx(client.get("/tasks/abc%00", headers=auth_headers()), 400)


def test_a_nul_byte_in_the_query_is_400(client, auth_headers):
    _is_json_4xx(client.get("/calls?status=pen%00ding", headers=auth_headers()), 400)


def test_a_nul_byte_in_the_login_email_is_400(client):
    _is_json_4xx(client.post("/auth/login", json={"email": "a\x00@example.test", "password": "x"}), 400)


def test_a_nul_byte_in_criteria_fields_is_400(client, auth_headers):
    headers = auth_headers()
    _is_json_4xx(client.post("/criteria", json={"name": "po\x00lite"}, headers=headers), 400)
    _is_json_4xx(client.post("/criteria", json={"name": "ok", "description": "\x00"}, headers=headers), 400)
    created = client.post("/criteria", json={"name": "ok"}, headers=headers).get_json()["criterion"]
    _is_json_4xx(client.patch(f"/criteria/{created['id']}", json={"name": "x\x00"}, headers=headers), 400)


@pytest.mark.parametrize("method, path", [("post", "/auth/login"), ("post", "/criteria"),
                                          ("put", "/criteria/scoring-mode"), ("post", "/sipuni-integration"),
                                          ("post", "/api/hemis/sync/student")])
@pytest.mark.parametrize("body", [DEEP_JSON, DEEP_OBJECT])
def test_json_nested_5000_deep_is_400_on_every_json_route(method, path, body, client, auth_headers, settings):
    headers = {**auth_headers(), "Content-Type": "application/json", "X-API-Key": settings.webhook_api_key}
    response = getattr(client, method)(path, data=body, headers=headers)
    _is_json_4xx(response, 400)
    assert response.get_json()["message"] == "Request body is not valid JSON"


def test_ids_beyond_any_database_integer_are_404(client, auth_headers):
    headers = auth_headers()
    _is_json_4xx(client.get(f"/calls/{10**30}", headers=headers), 404)
    _is_json_4xx(client.delete(f"/criteria/{2**63}", headers=headers), 404)


def test_a_superadmins_huge_organization_id_is_400(client, auth_headers):
    _is_json_4xx(client.get(f"/criteria?organizationId={10**20}", headers=auth_headers("SUPERADMIN")), 400)
