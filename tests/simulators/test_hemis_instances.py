"""Several HEMIS installations in one simulator process, each under `/i/<name>`: its own data, token,
Yii2 rate limiter, faults and stats; the root instance is untouched by them."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import tracemalloc
from collections.abc import Iterator

import pytest
import requests

from simulators.hemis.control import SimulatorControl, start_simulator_process
from simulators.hemis.server import HemisServer, make_server
from tests.support.services import free_port

ROOT_TOKEN = "root-token"
ROOT_STUDENTS = 30


@pytest.fixture
def server() -> Iterator[HemisServer]:
    server = make_server("127.0.0.1", 0, ROOT_TOKEN, ROOT_STUDENTS, 6, 1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def root(server: HemisServer) -> SimulatorControl:
    return SimulatorControl(f"http://127.0.0.1:{server.server_port}")


def get(base: str, token: str | None, resource: str = "student-list", **params: object) -> requests.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return requests.get(f"{base}/rest/v1/data/{resource}", params={"_student_status": -1, **params},
                        headers=headers, timeout=10)


def total(response: requests.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["data"]["pagination"]["totalCount"])


def test_two_instances_have_their_own_data_tokens_limits_and_stats(root):
    a = root.create_instance("uni-a", token="token-a", students=50, employees=12, seed=2,
                             rate_limit={"limit": 3, "window_s": 60})
    b = root.create_instance("uni-b", token="token-b", students=420, seed=3)
    assert a.base_url == f"{root.base_url}/i/uni-a"
    assert (total(get(a.base_url, "token-a")), total(get(b.base_url, "token-b"))) == (50, 420)
    assert total(get(root.base_url, ROOT_TOKEN)) == ROOT_STUDENTS
    assert total(get(a.base_url, "token-a", "employee-list")) == 12
    first_a = get(a.base_url, "token-a", limit=1).json()["data"]["items"][0]
    first_b = get(b.base_url, "token-b", limit=1).json()["data"]["items"][0]
    assert first_a["full_name"] != first_b["full_name"]  # other seeds, other people

    # A token is good on its own instance only: anywhere else, Yii2's 401.
    for base, token in ((a.base_url, "token-b"), (b.base_url, "token-a"), (a.base_url, ROOT_TOKEN),
                        (root.base_url, "token-a"), (b.base_url, None)):
        refused = get(base, token)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="api"'

    # a's limiter (3 a minute, all spent: a 401 is refused before the limiter counts) refuses the
    # 4th; b and the root have no limiter to spend.
    assert get(a.base_url, "token-a").status_code == 429
    assert [get(b.base_url, "token-b").status_code for _ in range(6)] == [200] * 6
    assert get(root.base_url, ROOT_TOKEN).status_code == 200
    assert a.rate_limit_stats()["refused"] == 1 and "rateLimit" not in requests.get(
        f"{b.base_url}/_control/stats", timeout=10).json()
    assert {r["status"] for r in b.requests()} == {200, 401}
    assert len(root.requests()) == 3  # the root's own two 200s and the 401 of a's token; nothing of a or b

    # Faults and resets are per instance too.
    b.faults({"path": "student-list", "status": 503, "count": -1})
    assert get(b.base_url, "token-b").status_code == 503
    assert get(root.base_url, ROOT_TOKEN).status_code == 200
    a.reset(students=7, seed=9)
    a.config(token="token-a")
    assert total(get(a.base_url, "token-a")) == 7 and total(get(root.base_url, ROOT_TOKEN)) == ROOT_STUDENTS
    assert get(b.base_url, "token-b").status_code == 503


def test_instances_are_listed_replaced_and_deleted_and_an_unknown_one_is_404(root):
    root.create_instance("uni-a", token="secret-a", students=5, rate_limit={"limit": 10, "window_s": 60})
    root.create_instance("locked", token=None, students=5)
    listed = {i["name"]: i for i in root.instances()}
    assert set(listed) == {"uni-a", "locked"} and "secret-a" not in str(listed)
    assert listed["uni-a"]["rateLimit"] == {"limit": 10, "windowS": 60} and listed["locked"]["tokenRefusesAll"]
    locked = root.instance("locked")
    assert get(locked.base_url, "None").status_code == 401 and get(locked.base_url, "").status_code == 401

    replaced = root.create_instance("uni-a", token="secret-a2", students=9)
    assert get(replaced.base_url, "secret-a").status_code == 401 and total(get(replaced.base_url, "secret-a2")) == 9
    assert [r["status"] for r in replaced.requests()] == [401, 200]  # a new instance: new stats
    root.delete_instance("uni-a")
    gone = get(replaced.base_url, "secret-a2")
    assert gone.status_code == 404 and gone.json()["name"] == "Not Found"
    with pytest.raises(requests.HTTPError):
        replaced.reset(students=1)
    root.delete_instances()
    assert root.instances() == [] and total(get(root.base_url, ROOT_TOKEN)) == ROOT_STUDENTS


@pytest.mark.parametrize("body, message", [
    ({"name": "bad name", "token": "t"}, "name"),
    ({"name": "x" * 65, "token": "t"}, "name"),
    ({"name": "no-token"}, "token"),
    ({"name": "half", "token": "t", "students": 10, "duplicatePersons": 9}, "duplicatePersons"),
    ({"name": "limit", "token": "t", "rate_limit": {"window_s": 60}}, "limit"),
])
def test_a_bad_instance_body_is_a_400(root, body, message):
    response = requests.post(f"{root.base_url}/_control/instances", json=body, timeout=10)
    assert response.status_code == 400 and message in response.json()["message"]
    assert root.instances() == []


def test_forty_instances_of_20000_students_cost_little_memory(root):
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(40):
            root.create_instance(f"uni-{number:02d}", token=f"token-{number}", students=20_000, employees=900,
                                 seed=number, rate_limit={"limit": 10, "window_s": 60})
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(root.instances()) == 40
    assert grown < 2 * 1024 * 1024, grown  # items are generated per page asked, never held
    last = root.instance("uni-39")
    assert total(get(last.base_url, "token-39", page=100, limit=200)) == 20_000


def test_the_simulator_process_serves_instances_beside_its_root():
    port = free_port()
    process = start_simulator_process(port, ROOT_TOKEN, students=12, employees=0, stdout=subprocess.DEVNULL)
    try:
        root = SimulatorControl(f"http://127.0.0.1:{port}")
        root.wait_until_up()
        uni = root.create_instance("uni", token="uni-token", students=40, seed=5)
        departments = get(uni.base_url, "uni-token", "department-list", active="all", limit=200)
        assert {d["structureType"]["code"] for d in departments.json()["data"]["items"]} >= {"11", "12"}
        assert (total(get(uni.base_url, "uni-token")), total(get(root.base_url, ROOT_TOKEN))) == (40, 12)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
