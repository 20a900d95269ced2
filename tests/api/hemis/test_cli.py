"""`flask --app api hemis ...` per organization (issue #20, point 7), on a real worker and the HEMIS
simulator: a sync of one organization, the token check, cancel, and what is refused (no
`--organization` among several, an organization without a HEMIS); `flask runs list` names each
run's organization."""

from __future__ import annotations

import time

import pytest
from click.testing import Result
from sqlalchemy import func, select

from shared.hemis.names import run_lock
from shared.models import Organization, SyncRun
from simulators.hemis.control import SimulatorControl
from tests.support.hemis import fresh_simulator, wait_for_run

STUDENTS = 120  # 3 pages of 50
SLOW_STUDENTS = 1000  # 20 pages of 50
PAGE_LATENCY_MS = 500  # 20 pages on 2 worker processes: the run lasts at least 5 s
CANCEL_WAIT_S = 20.0
DRAIN_S = 1.5  # a little over a page's latency: what was in flight when the run was cancelled has ended
EXIT_USAGE = 2
EXIT_REFUSED = 2


@pytest.fixture
def hemis(settings) -> SimulatorControl:  # type: ignore[no-untyped-def]
    """The session's simulator (the HEMIS of `hemis_org`), with STUDENTS students and no fault."""
    return fresh_simulator(settings, students=STUDENTS, seed=7)


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def other_org(db) -> Organization:  # type: ignore[no-untyped-def]
    """A second organization, with no HEMIS of its own (so it may not use the deployment's)."""
    organization = Organization(name="College without HEMIS")
    db.add(organization)
    db.commit()
    return organization


def _started_run_id(result: Result) -> str:
    line = next(line for line in result.output.splitlines() if line.startswith("started run "))
    return line.split()[2]


def _run_count(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(SyncRun)))


def test_sync_runs_for_the_named_organization_and_runs_list_names_it(hemis, hemis_org, other_org, worker, runner,
                                                                      db):
    result = runner.invoke(args=["hemis", "sync", "students", "--organization", str(hemis_org.id), "--watch"])
    assert result.exit_code == 0, result.output
    run_id = _started_run_id(result)
    run = db.get(SyncRun, run_id)
    assert (run.organization_id, run.status, run.processed, run.triggered_by) == (hemis_org.id, "completed",
                                                                                  STUDENTS, "cli")

    listing = runner.invoke(args=["runs", "list", "--organization", str(hemis_org.id)])
    assert listing.exit_code == 0, listing.output
    assert f"{run_id}\themis_students\tcompleted\torg={hemis_org.id}\t100%\trecords={STUDENTS}" in listing.output
    everything = runner.invoke(args=["runs", "list"])
    assert f"{run_id}\themis_students\tcompleted\torg={hemis_org.id}" in everything.output
    # The other organization's list (spelled as the other commands spell it) has none of it.
    others = runner.invoke(args=["runs", "list", "--organization-id", str(other_org.id)])
    assert others.exit_code == 0 and run_id not in others.output


def test_check_prints_ok_with_the_count_and_exits_1_when_the_organizations_token_is_refused(
        hemis, hemis_org, other_org, runner, db, settings):
    hemis.rate_limit(limit=10, window_s=60)
    ok = runner.invoke(args=["hemis", "check", "--organization", str(hemis_org.id)])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("ok · ") and f"{STUDENTS} students" in ok.output
    assert "rate limit 10, 9 left" in ok.output and f"organization {hemis_org.id}, its own HEMIS" in ok.output
    assert settings.hemis_bearer_token not in ok.output

    wrong = "not-this-university-s-token-" + "x" * 12
    hemis_org.hemis_token = wrong
    db.commit()
    refused = runner.invoke(args=["hemis", "check", "--organization", str(hemis_org.id)])
    assert refused.exit_code == 1, refused.output
    assert refused.output.startswith("unauthorized · ") and "students" not in refused.output
    assert wrong not in refused.output and settings.hemis_bearer_token not in refused.output


def test_cancel_ends_the_organizations_running_sync_and_nothing_more_is_fetched(hemis, hemis_org, worker, runner, db,
                                                                                redis_client):
    hemis.reset(students=SLOW_STUDENTS, employees=0, seed=7)
    hemis.config(latency_ms=PAGE_LATENCY_MS)
    org = ["--organization", str(hemis_org.id)]
    started = runner.invoke(args=["hemis", "sync", "students", *org])
    assert started.exit_code == 0, started.output
    run_id = _started_run_id(started)
    _wait_for_pages_fetched(hemis, 1)

    cancelled = runner.invoke(args=["hemis", "cancel", "students", *org])
    assert cancelled.exit_code == 0, cancelled.output
    assert f"cancelled run {run_id} (hemis_students, organization {hemis_org.id})" in cancelled.output
    db.expire_all()
    run = db.get(SyncRun, run_id)
    assert (run.status, run.organization_id) == ("cancelled", hemis_org.id)
    assert run_lock(redis_client, hemis_org.id, "students").holder() is None  # a new sync may start at once

    time.sleep(DRAIN_S)
    fetched = len(hemis.requests())
    time.sleep(DRAIN_S)
    assert len(hemis.requests()) == fetched < SLOW_STUDENTS // 50  # no page not yet fetched is fetched
    db.expire_all()
    assert db.get(SyncRun, run_id).status == "cancelled"  # never turned completed by a page in flight

    again = runner.invoke(args=["hemis", "cancel", "students", *org])
    assert again.exit_code == EXIT_REFUSED, again.output
    assert f"no HEMIS students sync of organization {hemis_org.id} is running" in again.output
    assert f"run {run_id}, is cancelled" in again.output


def test_organization_may_be_left_out_only_when_there_is_one(hemis, hemis_org, other_org, runner, db):
    for command in (["hemis", "sync", "students"], ["hemis", "check"], ["hemis", "cancel", "students"],
                    ["hemis", "nightly"]):
        result = runner.invoke(args=command)
        assert result.exit_code == EXIT_USAGE, (command, result.output)
        assert "--organization is required: the deployment has several organizations" in result.output
    assert _run_count(db) == 0


def test_the_only_organization_is_taken_when_left_out(hemis, hemis_org, runner):
    result = runner.invoke(args=["hemis", "check"])
    assert result.exit_code == 0, result.output
    assert f"organization {hemis_org.id}, its own HEMIS" in result.output


def test_an_organization_without_a_hemis_is_a_clear_error(hemis, hemis_org, other_org, runner, db):
    org = ["--organization", str(other_org.id)]
    for command in (["hemis", "sync", "departments", *org], ["hemis", "nightly", *org], ["hemis", "check", *org]):
        result = runner.invoke(args=command)
        assert result.exit_code == 1, (command, result.output)
        assert f"Organization {other_org.id} has no HEMIS of its own" in result.output
        assert "Traceback" not in result.output
    unknown = runner.invoke(args=["hemis", "sync", "students", "--organization", "987654"])
    assert unknown.exit_code == 1 and "organization 987654 does not exist" in unknown.output
    assert _run_count(db) == 0
    assert hemis.requests() == []  # nothing was asked of any HEMIS


def _wait_for_pages_fetched(hemis: SimulatorControl, pages: int, timeout_s: float = CANCEL_WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while len(hemis.requests()) < pages:
        assert time.monotonic() < deadline, "the run fetched no page"
        time.sleep(0.1)


def test_a_second_sync_of_the_same_organization_is_refused_naming_the_running_run(hemis, hemis_org, worker, runner,
                                                                                   app):
    hemis.config(latency_ms=PAGE_LATENCY_MS)  # 3 pages: the first run surely still holds its lock
    org = ["--organization", str(hemis_org.id)]
    first = _started_run_id(runner.invoke(args=["hemis", "sync", "students", *org]))
    try:
        second = runner.invoke(args=["hemis", "sync", "students", *org])
        assert second.exit_code == EXIT_REFUSED and first in second.output, second.output
    finally:
        wait_for_run(app.extensions["navai"].session_factory, first)
