"""`GET /health` on real services: the workers' liveness keys say who is alive (no broadcast), a
component that hangs is reported down within the bound, and nobody learns a host name."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from api.observability.health import HEALTH_CHECK_TIMEOUT_S
from tests.conftest import TEST_RECOVERY, settings_with
from tests.support.services import free_port, redis_url_with_db, reset_redis

OLD_PING_TIMEOUT_S = 1.0  # what every /health used to wait: a broadcast ping of the workers
RENEWAL_WAIT_S = 5.0  # a worker renews its key every third of RECOVERY_WORKER_ALIVE_S (3 s here)
EXPIRY_WAIT_S = TEST_RECOVERY["recovery_worker_alive_s"] + 5.0


def _wait_for_health(client, predicate, timeout_s: float) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get("/health").get_json()
        if predicate(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_health_reports_database_redis_and_the_running_worker_without_its_name(client, worker):
    # The test's start emptied Redis: the worker's next renewal names it again.
    body = _wait_for_health(client, lambda b: b["workers"]["ok"], RENEWAL_WAIT_S)
    response = client.get("/health")
    assert response.status_code == 200, body
    body = response.get_json()
    assert body["success"] is True and body["status"] == "ok"
    assert body["database"] == {"ok": True} and body["redis"] == {"ok": True}
    assert body["workers"]["ok"] is True and body["workers"]["count"] >= 1
    host = worker.name.split("@", 1)[1]
    assert worker.name not in response.get_data(as_text=True) and host not in response.get_data(as_text=True)
    assert set(body["workers"]) == {"ok", "count"}


def test_health_never_waits_on_a_broadcast(client, worker):
    _wait_for_health(client, lambda b: b["workers"]["ok"], RENEWAL_WAIT_S)
    started = time.monotonic()
    answers = [client.get("/health") for _ in range(10)]
    elapsed_s = time.monotonic() - started
    assert all(answer.status_code == 200 for answer in answers)
    # Ten answers in less time than one broadcast ping used to take.
    assert elapsed_s < OLD_PING_TIMEOUT_S, f"10 health checks took {elapsed_s:.3f} s"


@pytest.fixture
def isolated(settings, redis_client):  # type: ignore[no-untyped-def]
    """Settings on a Redis DB of their own, so that only the workers started here are alive there."""
    from shared.redis_client import make_redis

    db_number = redis_client.connection_pool.connection_kwargs.get("db", 0) + 1
    isolated = settings_with(settings, redis_url=redis_url_with_db(settings.redis_url, db_number % 16))
    reset_redis(make_redis(isolated.redis_url))
    return isolated


def test_health_reports_a_stopped_worker_at_once(isolated, extra_workers):
    from api import create_app

    client = create_app(isolated).test_client()
    lone_worker = extra_workers("health", settings=isolated, concurrency=1)
    body = _wait_for_health(client, lambda b: b["workers"]["ok"], RENEWAL_WAIT_S)
    assert body["workers"] == {"ok": True, "count": 1}

    lone_worker.stop()  # a warm shutdown clears its liveness key
    response = client.get("/health")
    body = response.get_json()
    assert response.status_code == 503
    assert body["success"] is False and body["status"] == "degraded"
    assert body["workers"] == {"ok": False, "count": 0}
    assert body["database"]["ok"] and body["redis"]["ok"]


def test_health_reports_a_killed_worker_once_its_liveness_key_expires(isolated, extra_workers):
    from api import create_app

    client = create_app(isolated).test_client()
    lone_worker = extra_workers("health-kill", settings=isolated, concurrency=1)
    assert _wait_for_health(client, lambda b: b["workers"]["ok"], RENEWAL_WAIT_S)["workers"]["count"] == 1

    lone_worker.kill_hard()  # no goodbye: only the key's expiry tells
    body = _wait_for_health(client, lambda b: not b["workers"]["ok"], EXPIRY_WAIT_S)
    assert body["workers"] == {"ok": False, "count": 0}
    assert client.get("/health").status_code == 503


def test_health_reports_redis_down_within_the_bound(settings):
    from api import create_app

    nobody = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens: the client retries for seconds
    client = create_app(settings_with(settings, redis_url=nobody)).test_client()
    started = time.monotonic()
    response = client.get("/health")
    elapsed_s = time.monotonic() - started
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["redis"]["ok"] is False and body["workers"] == {"ok": False, "count": 0, "error": "Timeout"}
    assert body["database"] == {"ok": True}
    assert elapsed_s < HEALTH_CHECK_TIMEOUT_S + 1.0, f"took {elapsed_s:.2f} s"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word: a hung database server."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:  # the stuck check's connection fails now, and its thread ends
        connection.close()
    listener.close()


def test_a_hung_database_is_reported_down_and_does_not_hold_later_requests(settings, silent_server):
    from api import create_app

    hung = f"postgresql+psycopg2://postgres@127.0.0.1:{silent_server}/navai"
    client = create_app(settings_with(settings, database_url=hung)).test_client()
    started = time.monotonic()
    first = client.get("/health")
    first_s = time.monotonic() - started
    assert first.status_code == 503
    assert first.get_json()["database"] == {"ok": False, "error": "Timeout"}
    assert first.get_json()["redis"] == {"ok": True}
    assert first_s < HEALTH_CHECK_TIMEOUT_S + 1.0, f"took {first_s:.2f} s"

    # The check is still stuck: the requests that come now answer at once instead of waiting again.
    started = time.monotonic()
    later = [client.get("/health") for _ in range(10)]
    later_s = time.monotonic() - started
    assert all(r.get_json()["database"] == {"ok": False, "error": "Timeout"} for r in later)
    assert later_s < HEALTH_CHECK_TIMEOUT_S, f"10 requests took {later_s:.2f} s"
