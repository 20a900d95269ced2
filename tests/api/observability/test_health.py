from __future__ import annotations

from tests.conftest import settings_with
from tests.support.services import redis_url_with_db, reset_redis


def test_health_reports_database_redis_and_the_running_worker(client, worker):
    response = client.get("/health")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["database"]["ok"] and body["redis"]["ok"] and body["workers"]["ok"]
    assert worker.name in body["workers"]["names"]


def test_health_reports_a_stopped_worker(settings, extra_workers, redis_client):
    from api import create_app
    from shared.redis_client import make_redis

    # A Redis DB of its own, so that only the worker started here can answer the ping.
    db_number = redis_client.connection_pool.connection_kwargs.get("db", 0) + 1
    isolated = settings_with(settings, redis_url=redis_url_with_db(settings.redis_url, db_number % 16))
    reset_redis(make_redis(isolated.redis_url))
    app = create_app(isolated)
    client = app.test_client()
    lone_worker = extra_workers("health", settings=isolated, concurrency=1)
    assert client.get("/health").get_json()["workers"]["ok"] is True

    lone_worker.stop()
    response = client.get("/health")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["workers"] == {"ok": False, "count": 0, "names": []}
    assert body["database"]["ok"] and body["redis"]["ok"]
