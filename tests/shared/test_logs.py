"""LOG_FORMAT=json: a real worker writes one JSON object per line, and the lines of a run's tasks
carry its run_id, the task id and name; `[HEMIS]` stays greppable in the message."""

from __future__ import annotations

import io
import json
import logging

from shared.logs import apply_format
from simulators.hemis.control import SimulatorControl
from tests.conftest import settings_with
from tests.support.hemis import only_these_workers_on_hemis, simulator_for, wait_for_run

REQUIRED_KEYS = {"time", "level", "logger", "message"}


def _json_lines(text: str) -> list[dict]:
    """The log's lines from the first JSON one on (Celery's banner before it is not a log line)."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("{"))
    return [json.loads(line) for line in lines[first:] if line.strip()]


def test_a_json_worker_logs_one_object_per_line_with_the_run_and_task(
        settings, worker, extra_workers, celery_app, client, auth_headers, app):
    simulator_for(settings)
    hemis = SimulatorControl(settings.hemis_api_url)
    hemis.reset(students=120, seed=5)
    hemis.config(token=settings.hemis_bearer_token)
    with only_these_workers_on_hemis(celery_app, worker.name):
        json_worker = extra_workers("json-logs", settings=settings_with(settings, log_format="json"),
                                    queues="hemis", concurrency=2)
        run_id = client.post("/api/hemis/sync/students", headers=auth_headers("ADMIN")).get_json()["runId"]
        assert wait_for_run(app.extensions["navai"].session_factory, run_id).status == "completed"
    records = _json_lines(json_worker.log())  # raises if any line after the banner is not JSON
    assert all(REQUIRED_KEYS <= set(record) for record in records)
    pages = [r for r in records if r["message"].startswith(f"[HEMIS] run {run_id}: page")]
    assert len(pages) == 3  # 120 students, 50 per page
    for record in pages:  # page 1 is fetched by the run's start task, the others by page tasks
        assert record["run_id"] == run_id and record["level"] == "INFO" and record["task_id"]
    assert sorted(r["task_name"] for r in pages) == ["hemis.start_run", "hemis.sync_page", "hemis.sync_page"]
    assert any("finished" in r["message"] and r.get("run_id") == run_id for r in records)


def test_api_log_lines_carry_the_run_of_the_request(app, settings):
    stream = io.StringIO()
    logger = logging.getLogger("navai.test.api-json")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(stream))
    logger.setLevel(logging.INFO)
    apply_format(settings_with(settings, log_format="json"), [logger])
    with app.test_request_context("/runs/run-42"):
        app.preprocess_request()
        from flask import request

        request.view_args = {"run_id": "run-42"}
        logger.info("[STEP2] looked at %s", "run-42")
    record = json.loads(stream.getvalue().strip())
    assert record["message"] == "[STEP2] looked at run-42" and record["run_id"] == "run-42"
    assert REQUIRED_KEYS <= set(record)


def test_a_tasks_run_and_organization_are_bound_from_positional_or_named_arguments(settings):
    from shared.logs import bind_task_context, clear_task_context
    from workers.hemis.tasks import sync_page
    from workers.sipuni.tasks import process_call

    stream = io.StringIO()
    logger = logging.getLogger("navai.test.task-json")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(stream))
    logger.setLevel(logging.INFO)
    apply_format(settings_with(settings, log_format="json"), [logger])
    try:
        bind_task_context(process_call, [], {"run_id": "run-7", "organization_id": 3, "row": {}})
        logger.info("[STEP2] Call already exists")
        bind_task_context(sync_page, ["students", "run-8", 2], {})
        logger.info("[HEMIS] page")
        clear_task_context()
        logger.info("outside any task")
    finally:
        clear_task_context()
    step2, hemis, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (step2["run_id"], step2["organization_id"], step2["message"]) == ("run-7", 3, "[STEP2] Call already exists")
    assert hemis["run_id"] == "run-8" and "organization_id" not in hemis
    assert "run_id" not in outside and "organization_id" not in outside
