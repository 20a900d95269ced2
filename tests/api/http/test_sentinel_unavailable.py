"""The API behind Redis Sentinel: while the sentinels know no master, every request that needs Redis
answers 503 JSON with Retry-After (never 500), and the API answers again once a master is known."""

from __future__ import annotations

from api import create_app
from tests.conftest import TEST_PASSWORD
from tests.support.sentinel import SentinelDeployment, sentinel_deployment  # noqa: F401 (fixture)


def _assert_unavailable(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, (response.status_code, response.data[:300])
    assert response.is_json and response.headers["Retry-After"]
    body = response.get_json()
    assert body["success"] is False and "Redis" in body["message"]


def test_no_master_known_is_503_json_and_a_known_one_serves_again(sentinel_deployment: SentinelDeployment,  # noqa: F811
                                                                  settings, make_user) -> None:
    app = create_app(sentinel_deployment.settings(settings))
    client = app.test_client()
    user = make_user("ADMIN")
    login = {"email": user.email, "password": TEST_PASSWORD}
    answered = client.post("/auth/login", json=login)  # the throttle's storage: `limits` over Sentinel
    assert answered.status_code == 200, answered.get_json()
    headers = {"Authorization": f"Bearer {answered.get_json()['access_token']}"}
    assert client.get("/auth/me", headers=headers).status_code == 200  # the token blocklist: make_redis

    sentinel_deployment.forget_master()  # and the master lost: its clients' connections break
    sentinel_deployment.servers[0].kill()
    _assert_unavailable(client.get("/auth/me", headers=headers))
    _assert_unavailable(client.post("/auth/login", json=login))

    sentinel_deployment.monitor_again()
    assert client.get("/auth/me", headers=headers).status_code == 200
    assert client.post("/auth/login", json=login).status_code == 200
