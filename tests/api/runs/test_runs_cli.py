"""`flask --app api hemis|sipuni|runs`: the same locked trigger paths as HTTP, `--watch` exit codes."""

from __future__ import annotations

import json

import pytest

from sqlalchemy import func, select

from shared.models import Organization, SyncRun
from simulators.hemis.control import SimulatorControl
from tests.support.hemis import fresh_simulator
from tests.support.hemis import wait_for_run


@pytest.fixture
def hemis(settings) -> SimulatorControl:
    return fresh_simulator(settings, students=120, seed=4)


def _run_id(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("started run "))
    return line.split()[2]


def test_hemis_sync_watch_exits_0_when_completed_and_runs_list_and_show_see_it(hemis, worker, app, db):
    """The deployment's only organization: `--organization` may be left out, the deployment's HEMIS serves it."""
    only = Organization(name="The only university")
    db.add(only)
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["hemis", "sync", "students", "--watch"])
    assert result.exit_code == 0, result.output
    run_id = _run_id(result.output)
    assert f"run {run_id} (hemis_students) completed: 120 of 120 records" in result.output
    run = db.get(SyncRun, run_id)
    assert run.triggered_by == "cli" and run.organization_id == only.id

    listing = runner.invoke(args=["runs", "list", "--kind", "hemis_students"])
    assert listing.exit_code == 0 and f"{run_id}\themis_students\tcompleted" in listing.output
    shown = runner.invoke(args=["runs", "show", run_id])
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["progress"]["records"] == 120
    assert runner.invoke(args=["runs", "show", run_id, "--watch"]).exit_code == 0


def test_a_second_trigger_is_refused_with_exit_code_2_naming_the_running_run(hemis, worker, app, client,
                                                                             auth_headers):
    hemis.config(latency_ms=500)  # 3 pages: the run surely still holds its lock when the CLI asks
    started = client.post("/api/hemis/sync/students", headers=auth_headers("ADMIN")).get_json()["runId"]
    try:
        refused = app.test_cli_runner().invoke(args=["hemis", "sync", "students", "--watch"])
        assert refused.exit_code == 2, refused.output
        assert "already running" in refused.output and started in refused.output
    finally:
        wait_for_run(app.extensions["navai"].session_factory, started)


def test_watch_exits_1_when_the_run_fails(hemis, worker, app, hemis_org):
    hemis.config(token="not-the-token-the-workers-send")  # every request gets 401: the run fails
    result = app.test_cli_runner().invoke(args=["hemis", "sync", "students", "--organization", str(hemis_org.id),
                                                "--watch"])
    assert result.exit_code == 1, result.output
    assert "failed" in result.output


def test_hemis_sync_needs_an_organization_with_a_hemis(hemis, app, db, hemis_org):
    """Two organizations: `--organization` is required, and one without a HEMIS of its own is refused
    (the deployment's HEMIS serves a single-organization deployment only). Nothing is started."""
    other = Organization(name="No HEMIS of its own")
    db.add(other)
    db.commit()
    runner = app.test_cli_runner()
    unnamed = runner.invoke(args=["hemis", "sync", "students"])
    assert unnamed.exit_code == 2 and "--organization is required" in unnamed.output
    refused = runner.invoke(args=["hemis", "sync", "students", "--organization", str(other.id)])
    assert refused.exit_code == 1 and f"Organization {other.id} has no HEMIS of its own" in refused.output
    assert db.scalar(select(func.count()).select_from(SyncRun)) == 0


def test_sipuni_step1_then_step2_from_the_cli_and_step2_refused_while_one_runs(sipuni, sipuni_org, worker, app, db):
    _, organization = sipuni_org
    runner = app.test_cli_runner()
    org = ["--organization-id", str(organization.id)]
    missing = runner.invoke(args=["sipuni", "step2", *org])
    assert missing.exit_code == 1 and "CSV file not found" in missing.output
    assert runner.invoke(args=["sipuni", "step1", *org, "--from", "2025-10-01", "--to", "02.10.2025"]).exit_code == 2

    first = runner.invoke(args=["sipuni", "step1", *org, "--limit", "60", "--watch"])
    assert first.exit_code == 0, first.output
    assert "(sipuni_step1) completed" in first.output

    from shared.runs.locks import RunLock
    from shared.sipuni.names import step2_scope

    lock = RunLock(app.extensions["navai"].redis, step2_scope(organization.id))
    lock.acquire("a-run-of-the-webhook")
    refused = runner.invoke(args=["sipuni", "step2", *org])
    assert refused.exit_code == 2 and "a-run-of-the-webhook" in refused.output
    lock.release("a-run-of-the-webhook")

    limited = runner.invoke(args=["sipuni", "step2", *org, "--limit", "5", "--watch"])
    assert limited.exit_code in (0, 1), limited.output  # 1: one of the five may have failed upstream
    assert db.get(SyncRun, _run_id(limited.output)).total == 5

    second = runner.invoke(args=["sipuni", "step2", *org, "--watch"])
    assert second.exit_code == 0, second.output
    run = db.get(SyncRun, _run_id(second.output))
    assert run.status == "completed" and run.processed > 0
    assert f"{run.processed} of {run.total} records" in second.output
