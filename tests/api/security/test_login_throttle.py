"""Login throttle on Redis (issue #12, point 4): 10 failures per email / 15 min, 50 per address."""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD

WRONG = "not-the-password"


def _login(client, email: str, password: str, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/auth/login", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_after_ten_failures_even_the_right_password_is_429_with_retry_after(client, make_user):
    user = make_user("ADMIN")
    for _ in range(10):
        assert _login(client, user.email, WRONG).status_code == 401
    blocked = _login(client, user.email, TEST_PASSWORD)
    assert blocked.status_code == 429
    assert blocked.get_json()["success"] is False and blocked.get_json()["message"]
    retry_after = int(blocked.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    # Another address does not help: the count belongs to the account.
    assert _login(client, user.email, TEST_PASSWORD, address="10.0.0.2").status_code == 429


def test_an_unknown_email_is_throttled_the_same_way(client):
    for _ in range(10):
        response = _login(client, "nobody@example.test", WRONG)
        assert response.get_json()["message"] == "Invalid email or password"
    assert _login(client, "nobody@example.test", WRONG).status_code == 429


def test_a_successful_login_clears_the_accounts_count(client, make_user):
    user = make_user("ADMIN")
    for _ in range(9):
        _login(client, user.email, WRONG)
    assert _login(client, user.email, TEST_PASSWORD).status_code == 200
    for _ in range(9):
        assert _login(client, user.email, WRONG).status_code == 401
    assert _login(client, user.email, TEST_PASSWORD).status_code == 200


def test_fifty_failures_from_one_address_block_it_for_every_account(client, make_user):
    user = make_user("ADMIN")
    for number in range(50):  # five failures per email: no account reaches its own limit
        assert _login(client, f"guess{number // 5}@example.test", WRONG, address="10.9.9.9").status_code == 401
    assert _login(client, user.email, TEST_PASSWORD, address="10.9.9.9").status_code == 429
    assert _login(client, user.email, TEST_PASSWORD, address="10.9.9.8").status_code == 200


def test_the_throttle_is_shared_by_api_processes(settings, make_user):
    """Two app instances (as two gunicorn workers) count in the same Redis."""
    from api import create_app

    user = make_user("ADMIN")
    apps = [create_app(settings), create_app(settings)]
    try:
        for number in range(10):
            assert _login(apps[number % 2].test_client(), user.email, WRONG).status_code == 401
        assert _login(apps[0].test_client(), user.email, TEST_PASSWORD).status_code == 429
    finally:
        for app in apps:
            app.extensions["navai"].engine.dispose()
