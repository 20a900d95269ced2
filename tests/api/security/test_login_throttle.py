"""Login throttle on Redis (issue #18, point 2): 10 failures per (account, address) / 15 min, 50 per
address; nobody can lock an account out from elsewhere; the client address behind trusted proxies."""

from __future__ import annotations

import pytest

from shared import keys
from tests.conftest import TEST_PASSWORD, settings_with

WRONG = "not-the-password"


def _login(client, email: str, password: str, address: str = "10.0.0.1", headers=None):  # type: ignore[no-untyped-def]
    return client.post("/auth/login", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {})


def test_after_ten_failures_the_address_gets_429_even_with_the_right_password(client, make_user):
    user = make_user("ADMIN")
    for _ in range(10):
        assert _login(client, user.email, WRONG).status_code == 401
    blocked = _login(client, user.email, TEST_PASSWORD)
    assert blocked.status_code == 429
    assert blocked.get_json()["success"] is False and blocked.get_json()["message"]
    retry_after = int(blocked.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60


def test_failures_from_elsewhere_do_not_lock_the_account_out(client, make_user):
    """An attacker failing on someone's email, from any number of tries, does not keep the right
    password out from the user's own address."""
    user = make_user("SUPERADMIN")
    for _ in range(30):
        assert _login(client, user.email, WRONG, address="203.0.113.7").status_code in (401, 429)
    assert _login(client, user.email, TEST_PASSWORD, address="203.0.113.7").status_code == 429
    assert _login(client, user.email, TEST_PASSWORD, address="198.51.100.20").status_code == 200
    # The attacker's own count for this account is still there.
    assert _login(client, user.email, WRONG, address="203.0.113.7").status_code == 429


def test_an_unknown_email_is_throttled_the_same_way(client):
    for _ in range(10):
        response = _login(client, "nobody@example.test", WRONG)
        assert response.get_json()["message"] == "Invalid email or password"
    assert _login(client, "nobody@example.test", WRONG).status_code == 429


def test_a_successful_login_clears_the_count_of_its_account_and_address(client, make_user):
    user = make_user("ADMIN")
    for _ in range(9):
        _login(client, user.email, WRONG)
    assert _login(client, user.email, TEST_PASSWORD).status_code == 200
    for _ in range(9):
        assert _login(client, user.email, WRONG).status_code == 401
    assert _login(client, user.email, TEST_PASSWORD).status_code == 200


def test_fifty_failures_from_one_address_block_it_for_every_account(client, make_user):
    user = make_user("ADMIN")
    for number in range(50):  # five failures per email: no (account, address) reaches its own limit
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


def test_the_counters_live_under_the_deployments_prefix_and_hold_no_email(client, make_user, redis_client):
    user = make_user("ADMIN")
    before = set(redis_client.scan_iter("*"))
    _login(client, user.email, WRONG, address="10.1.2.3")
    # Only the limiter's counters (`limits` names them .../LIMITER/...): the session's worker renews
    # its liveness keys meanwhile, and a worker starting declares Celery's bindings.
    written = {key for key in set(redis_client.scan_iter("*")) - before if "LIMITER" in key}
    assert len(written) == 2, written  # (account, address) and address
    assert all(key.startswith(keys.LOGIN_THROTTLE_PREFIX + ":") for key in written), written
    assert keys.LOGIN_THROTTLE_PREFIX.startswith(keys.PREFIX)
    assert not [key for key in written if user.email in key]


def test_forwarded_for_is_ignored_without_trusted_proxies(client, make_user):
    """Without TRUSTED_PROXIES a client cannot pick its address: X-Forwarded-For is not read."""
    user = make_user("ADMIN")
    for number in range(10):
        response = _login(client, user.email, WRONG, headers={"X-Forwarded-For": f"192.0.2.{number}"})
        assert response.status_code == 401
    spoofed = _login(client, user.email, TEST_PASSWORD, headers={"X-Forwarded-For": "192.0.2.200"})
    assert spoofed.status_code == 429


def test_trusted_proxies_give_the_forwarded_client_address(settings, make_user):
    """Behind one proxy (TRUSTED_PROXIES=1) every user comes from the proxy's address: the throttle
    counts the client address the proxy appended to X-Forwarded-For, not the proxy's, and not an
    address the client wrote in front of it."""
    from api import create_app

    user = make_user("ADMIN")
    app = create_app(settings_with(settings, trusted_proxies=1))
    proxy = "10.0.0.254"
    try:
        client = app.test_client()
        for _ in range(10):  # the attacker puts a fresh address of its choice in front each time
            response = _login(client, user.email, WRONG, address=proxy,
                              headers={"X-Forwarded-For": f"192.0.2.{_}, 203.0.113.7"})
            assert response.status_code == 401
        attacker = _login(client, user.email, TEST_PASSWORD, address=proxy,
                          headers={"X-Forwarded-For": "192.0.2.99, 203.0.113.7"})
        assert attacker.status_code == 429
        # The user, through the same proxy, from their own address.
        mine = _login(client, user.email, TEST_PASSWORD, address=proxy, headers={"X-Forwarded-For": "198.51.100.20"})
        assert mine.status_code == 200, mine.get_json()
    finally:
        app.extensions["navai"].engine.dispose()


def test_trusted_proxies_is_read_from_the_environment_and_bounded():
    from shared.settings import ConfigError, Settings

    assert Settings.from_env({"NAVAI_ENV": "test"}).trusted_proxies == 0
    assert Settings.from_env({"NAVAI_ENV": "test", "TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    for wrong in ("-1", "6", "yes"):
        with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
            Settings.from_env({"NAVAI_ENV": "test", "TRUSTED_PROXIES": wrong})
