"""Redis Sentinel: `REDIS_URL=sentinel://...` read once (`shared.redis_url`), each client's spelling
of it, and `make_redis` following a real failover (a master SIGKILLed, its replica promoted)."""

from __future__ import annotations

import ssl
import time
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from limits.storage import storage_from_string

import celeryconfig
from shared.redis_client import make_redis
from shared.redis_url import (
    DEFAULT_SENTINEL_PORT,
    celery_ssl,
    celery_transport_options,
    celery_url,
    limits_storage,
    parse_redis_target,
)
from shared.settings import ConfigError, Settings
from tests.support.sentinel import MASTER_NAME, SentinelDeployment, sentinel_deployment  # noqa: F401 (fixture)

# The master is judged down after 2 s, then the sentinels vote and promote: well within this.
FAILOVER_BOUND_S = 30.0
SECRET = "Zq9:xK@Tw/7vB"
SECRET_PARTS = ("Zq9", "xK", "Tw", "7vB")


def test_a_sentinel_url_names_its_sentinels_database_and_credentials() -> None:
    target = parse_redis_target("sentinel://app:Zq9%3AxK%40Tw%2F7vB@10.0.0.1:26380,sentinel-b,[::1]:26381/4",
                                master_name="mymaster", sentinel_password="sentinel-secret")
    assert target.is_sentinel
    assert target.sentinels == (("10.0.0.1", 26380), ("sentinel-b", DEFAULT_SENTINEL_PORT), ("::1", 26381))
    assert (target.master_name, target.db, target.username, target.password) == ("mymaster", 4, "app", SECRET)
    assert target.sentinel_password == "sentinel-secret" and not target.tls
    assert SECRET not in repr(target) and "sentinel-secret" not in repr(target)


def test_a_plain_url_is_left_to_redis_py() -> None:
    target = parse_redis_target("redis://127.0.0.1:6379/3", master_name="ignored")
    assert not target.is_sentinel and target.url == "redis://127.0.0.1:6379/3"
    assert celery_url(target) == target.url and celery_transport_options(target) == {}
    assert limits_storage(target, key_prefix="p") == {"storage_uri": target.url, "storage_options": {"key_prefix": "p"}}


def test_the_tls_form_verifies_certificates_with_an_optional_ca() -> None:
    target = parse_redis_target("sentinels://h1:26379,h2:26379/0?ssl_ca_certs=/etc/ssl/redis-ca.pem", master_name="m")
    assert target.tls and target.ssl_ca_certs == "/etc/ssl/redis-ca.pem"
    assert target.sentinel_kwargs()["ssl"] is True and target.master_auth()["ssl_cert_reqs"] == "required"
    assert celery_ssl(target) == {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": "/etc/ssl/redis-ca.pem"}
    assert celery_ssl(parse_redis_target("sentinel://h1/0", master_name="m")) is None


@pytest.mark.parametrize(("url", "master", "says"), [
    ("sentinel://h1:26379/0", "", "REDIS_SENTINEL_MASTER"),
    ("sentinel:///0", "m", "names no sentinel"),
    ("sentinel://h1:notaport/0", "m", "port"),
    ("sentinel://h1:70000/0", "m", "port"),
    ("sentinel://h1:26379/zero", "m", "database"),
    ("sentinel://h1:26379/0?ssl_ca_certs=/x", "m", "sentinels://"),
    ("sentinels://h1:26379/0?verify=no", "m", "unknown option"),
    ("memcached://h1:11211", "", "REDIS_URL must start with"),
])
def test_a_malformed_sentinel_setting_is_refused_at_start_naming_the_variable(url: str, master: str,
                                                                             says: str) -> None:
    for password in (quote(SECRET, safe=""), SECRET):  # the second not encoded, as a slip would leave it
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({"REDIS_URL": url.replace("h1", f":{password}@h1"), "REDIS_SENTINEL_MASTER": master})
        assert not any(part in str(refused.value) for part in SECRET_PARTS), refused.value
    assert says in str(refused.value) or "percent-encoded" in str(refused.value)


def test_each_client_gets_its_own_spelling_of_the_sentinels() -> None:
    settings = Settings.from_env({"REDIS_URL": "sentinel://:pw%40x@s1:26379,s2:26380/2",
                                  "REDIS_SENTINEL_MASTER": "mymaster", "REDIS_SENTINEL_PASSWORD": "sp"})
    config = celeryconfig.build_config(settings)
    assert config["broker_url"] == config["result_backend"] == "sentinel://:pw%40x@s1:26379/2;sentinel://:pw%40x@s2:26380/2"
    for options in (config["broker_transport_options"], config["result_backend_transport_options"]):
        assert options["master_name"] == "mymaster" and options["sentinel_kwargs"]["password"] == "sp"
        assert options["visibility_timeout"] == settings.celery_visibility_timeout_s
    limits = limits_storage(settings.redis_target, key_prefix="login")
    assert limits["storage_uri"] == "redis+sentinel://s1:26379,s2:26380"
    assert limits["storage_options"]["service_name"] == "mymaster" and limits["storage_options"]["db"] == 2
    assert limits["storage_options"]["password"] == "pw@x" and not limits["storage_options"]["use_replicas"]
    assert limits["storage_options"]["sentinel_kwargs"]["password"] == "sp"
    # The settings hand the Sentinel variables to the worker and beat processes they start.
    assert settings.to_env()["REDIS_SENTINEL_MASTER"] == "mymaster"


def test_make_redis_follows_the_master_through_a_failover(sentinel_deployment: SentinelDeployment) -> None:  # noqa: F811
    settings = sentinel_deployment.settings(Settings())
    client = make_redis(settings.redis_target)
    client.set("before", "kept")
    client.wait(1, 5000)  # replicated: asynchronous replication may lose what is not
    sentinel_deployment.kill_master()
    killed_at = time.monotonic()

    client.set("during", "written")  # rides out the failover: retried until the replica is promoted
    written_s = time.monotonic() - killed_at
    new_port = sentinel_deployment.wait_for_promotion()

    assert written_s < FAILOVER_BOUND_S, written_s
    assert client.connection_pool.connection_kwargs["db"] == 0
    assert (client.get("before"), client.get("during")) == ("kept", "written")
    promoted = redis.Redis(port=new_port, decode_responses=True)
    assert promoted.get("during") == "written" and promoted.role()[0] == "master"


def test_the_broker_and_result_backend_follow_the_master(sentinel_deployment: SentinelDeployment) -> None:  # noqa: F811
    settings = sentinel_deployment.settings(Settings())
    app = Celery(set_as_current=False)
    app.conf.update(celeryconfig.redis_config(settings))
    direct = redis.Redis(port=sentinel_deployment.master_port(), decode_responses=True)
    with app.connection_for_write() as connection:
        connection.default_channel.client.set("via-kombu", "1")
    app.backend.set("via-backend", "2")
    assert (direct.get("via-kombu"), direct.get("via-backend")) == ("1", "2")

    sentinel_deployment.kill_master()
    new_port = sentinel_deployment.wait_for_promotion()
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=5)
        connection.default_channel.client.set("via-kombu", "3")
    app.backend.set("via-backend", "4")
    promoted = redis.Redis(port=new_port, decode_responses=True)
    assert (promoted.get("via-kombu"), promoted.get("via-backend")) == ("3", "4")


def test_every_client_authenticates_to_protected_sentinels_and_master(tmp_path) -> None:  # type: ignore[no-untyped-def]
    deployment = SentinelDeployment(tmp_path / "protected", master_password=SECRET, sentinel_password="sentinel-Pw9")
    try:
        deployment.start()
        settings = deployment.settings(Settings())
        direct = deployment.servers[0].client()
        make_redis(settings.redis_target).set("via-redis-py", "1")
        app = Celery(set_as_current=False)
        app.conf.update(celeryconfig.redis_config(settings))
        with app.connection_for_write() as connection:
            connection.default_channel.client.set("via-kombu", "2")
        app.backend.set("via-backend", "3")
        storage = limits_storage(settings.redis_target)
        limiter = storage_from_string(storage["storage_uri"], **storage["storage_options"])
        limiter.incr("via-limits", 60)
        assert [direct.get(key) for key in ("via-redis-py", "via-kombu", "via-backend", "LIMITS:via-limits")] == \
            ["1", "2", "3", "1"]
    finally:
        deployment.stop()
