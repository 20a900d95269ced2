from __future__ import annotations

import time

TASK_WAIT_S = 30


def _wait_for_state(client, headers, task_id, states=("SUCCESS", "FAILURE")):
    deadline = time.monotonic() + TASK_WAIT_S
    while time.monotonic() < deadline:
        body = client.get(f"/tasks/{task_id}", headers=headers).get_json()
        if body["state"] in states:
            return body
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} did not finish: {body}")


def test_a_task_runs_on_a_real_worker_and_its_result_is_read_back(client, auth_headers, celery_app, worker):
    headers = auth_headers("SUPERADMIN")  # creates one user, which the task counts in the database
    task_id = celery_app.send_task("system.echo", args=["hello"]).id
    body = _wait_for_state(client, headers, task_id)
    assert body["taskId"] == task_id
    assert body["state"] == "SUCCESS"
    assert body["result"]["echo"] == "hello"
    assert body["result"]["users"] == 1
    assert body["result"]["worker"] == worker.name


def test_an_unknown_task_is_404_for_an_admin_and_pending_for_a_superadmin(client, auth_headers):
    assert client.get("/tasks/does-not-exist", headers=auth_headers()).status_code == 404
    body = client.get("/tasks/does-not-exist", headers=auth_headers("SUPERADMIN")).get_json()
    assert body == {"taskId": "does-not-exist", "state": "PENDING", "result": None}


def test_task_status_needs_a_token(client):
    assert client.get("/tasks/anything").status_code == 401
