"""The whole system behind a real PgBouncer in `pool_mode = transaction` (issue #21).

The API and worker processes here get a `DATABASE_URL` that points at PgBouncer, whose pool has two
server connections for all of them: a client's consecutive transactions run on whichever server
connection is free, so anything our code left on a connection past its transaction (a session
`SET`, an advisory lock, `LISTEN`, a prepared statement, a cursor, a temporary table) would be met
by another client, or missed by its own next transaction. After each workload the test holds every
server connection of the pool and looks for such residue, and reads PgBouncer's admin console to
show that the traffic went through it. The workers use a Redis DB of their own, so that no worker of
the test session (connected to PostgreSQL directly) can take their tasks.

Test data (users, organizations) is written directly, as in the other tests; every HTTP request and
every task goes through PgBouncer. Migrations never do: they run on MIGRATIONS_DATABASE_URL.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from statistics import mean

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Session

from shared.models import AiStatus, Call, CallScore, Criterion, User
from shared.redis_client import make_redis
from shared.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.support.hemis import assert_matches_simulator
from tests.support.hemis import wait_for_run as wait_for_hemis_run
from tests.support.pgbouncer import (
    SERVER_POOL_SIZE,
    PgBouncer,
    pgbouncer_installed,
    session_residue,
    start_pgbouncer,
)
from tests.support.services import (
    database_url_for_tests,
    free_port,
    recreate_database,
    redis_url_with_db,
    reset_redis,
)
from tests.support.sipuni import EMPLOYEE_EXTS, expected_outcomes, sipuni, sipuni_org  # noqa: F401 (fixtures)
from tests.support.sipuni import wait_for_run as wait_for_sipuni_run
from tests.support.workers import PROJECT_ROOT, WorkerProcess, logs_on_failure

pytestmark = pytest.mark.skipif(not pgbouncer_installed(), reason="pgbouncer (Debian package) not installed")

# More pool processes than PgBouncer has server connections: they must take turns on them.
WORKER_CONCURRENCY = 3
ONE_CONNECTION = 1
HEMIS_STUDENTS = 640  # 13 pages of 50
HEMIS_SEED = 5
SIPUNI_CALLS = 60
SIM_TZ = "Asia/Tashkent"
AI_SETTLE_S = 60.0
MIGRATION_TIMEOUT_S = 120


@pytest.fixture
def pgbouncer(settings: Settings) -> Iterator[PgBouncer]:
    bouncer = start_pgbouncer(settings.database_url)
    yield bouncer
    bouncer.stop()


@pytest.fixture
def bounced(settings: Settings, pgbouncer: PgBouncer, redis_client) -> Settings:  # type: ignore[no-untyped-def]
    """The test settings with DATABASE_URL through PgBouncer and a Redis DB of their own. Each
    process gets one database connection and no overflow: a process that needed two at once (a
    session opened inside another) would wait for its own pool and fail, and README's connection
    arithmetic (one connection per API or pool process) would be wrong."""
    db_number = redis_client.connection_pool.connection_kwargs.get("db", 0) + 1
    isolated = settings.replace(database_url=pgbouncer.url,
                                redis_url=redis_url_with_db(settings.redis_url, db_number % 16),
                                database_pool_size=ONE_CONNECTION, database_max_overflow=0)
    reset_redis(make_redis(isolated.redis_url))
    return isolated


@pytest.fixture
def bounced_app(bounced: Settings) -> Iterator[Flask]:
    from api import create_app

    app = create_app(bounced)
    app.config["TESTING"] = True
    yield app
    app.extensions["navai"].engine.dispose()


@pytest.fixture
def bounced_client(bounced_app: Flask) -> FlaskClient:
    return bounced_app.test_client()


@pytest.fixture
def bounced_worker(bounced: Settings, extra_workers: Callable[..., WorkerProcess]) -> WorkerProcess:
    """A worker process (every queue) whose DATABASE_URL is PgBouncer."""
    return extra_workers("pgbouncer", settings=bounced, concurrency=WORKER_CONCURRENCY)




def login(client: FlaskClient, user: User) -> dict[str, str]:
    response = client.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def assert_pooled_through(bouncer: PgBouncer, transactions_before: int, at_least: int) -> None:
    """The workload's transactions went through PgBouncer, and its clients shared at most the
    pool's server connections, leaving nothing behind on any of them."""
    stats = bouncer.stats()
    assert int(stats["total_xact_count"]) - transactions_before >= at_least, stats
    servers = bouncer.of_database("SERVERS")
    assert 1 <= len(servers) <= SERVER_POOL_SIZE, servers
    clients = bouncer.of_database("CLIENTS")  # the API's and each busy pool process's pooled connection
    assert len(clients) > len(servers), (clients, servers)
    pools = bouncer.of_database("POOLS")
    assert [pool["pool_mode"] for pool in pools] == ["transaction"], pools
    residue = session_residue(bouncer)
    assert residue and all(found == {} for found in residue.values()), residue
    assert {server["remote_pid"] for server in servers} <= set(residue), (servers, residue)


def test_the_residue_probe_sees_session_state_left_on_a_pooled_connection(pgbouncer):
    """The probe the tests below rely on: a client that leaves a session setting, an advisory lock
    and a LISTEN on its server connection is caught, whatever server connection it had."""
    assert all(found == {} for found in session_residue(pgbouncer).values())
    careless = pgbouncer.connect()
    careless.autocommit = True
    with careless.cursor() as cursor:
        cursor.execute("SET work_mem = '8MB'")
        cursor.execute("SELECT pg_advisory_lock(2121)")
        cursor.execute("LISTEN navai_probe")
    residue = session_residue(pgbouncer)
    careless.close()
    dirty = [found for found in residue.values() if found]
    assert dirty == [{"session_settings": ["work_mem"], "advisory_locks": 1, "listening_channels": 1}], residue


def test_a_hemis_run_completes_through_pgbouncer(hemis, pgbouncer, bounced, bounced_client, bounced_app,
                                                 bounced_worker, make_user, db):
    hemis.reset(students=HEMIS_STUDENTS, seed=HEMIS_SEED)
    headers = login(bounced_client, make_user("ADMIN"))
    before = int(pgbouncer.stats()["total_xact_count"])
    with logs_on_failure([bounced_worker]):
        response = bounced_client.post("/api/hemis/sync/students", headers=headers)
        assert response.status_code == 202, response.get_json()
        run = wait_for_hemis_run(bounced_app.extensions["navai"].session_factory, response.get_json()["runId"])
        assert run.status == "completed", run.errors
        assert (run.total, run.processed) == (HEMIS_STUDENTS, HEMIS_STUDENTS)
        assert_matches_simulator(db, "students", HEMIS_STUDENTS, HEMIS_SEED)
        assert_pooled_through(pgbouncer, before, at_least=math.ceil(HEMIS_STUDENTS / bounced.hemis_page_size))


def test_sipuni_step2_and_the_statistics_through_pgbouncer(pgbouncer, bounced_client, bounced_worker,
                                                          sipuni, sipuni_org, db):  # noqa: F811 (fixtures)
    admin, organization = sipuni_org
    organization.time_zone, organization.scoring_mode = SIM_TZ, "HUNDRED"
    db.commit()
    headers = login(bounced_client, admin)
    sipuni.reset(calls=SIPUNI_CALLS)
    before = int(pgbouncer.stats()["total_xact_count"])
    with logs_on_failure([bounced_worker]):
        step1 = bounced_client.post(f"/sipuni/step1-fetch-csv?limit={SIPUNI_CALLS}", headers=headers)
        assert step1.status_code == 202, step1.get_json()
        assert wait_for_sipuni_run(bounced_client, headers, step1.get_json()["runId"])["status"] == "completed"
        step2 = bounced_client.post("/sipuni/step2-process-recordings", headers=headers)
        assert step2.status_code == 202, step2.get_json()
        run = wait_for_sipuni_run(bounced_client, headers, step2.get_json()["runId"])
        truth = sipuni.calls()
        expected = expected_outcomes(truth)
        processed = sorted(record for record, outcome in expected.items() if outcome == "processed")
        assert run["status"] == "completed", run
        assert (run["total"], run["processed"], run["failed"]) == (SIPUNI_CALLS, len(processed), 0)
        stored = db.scalars(select(Call).where(Call.organization_id == organization.id)).all()
        assert sorted(call.external_id for call in stored) == processed
        _wait_for_ai_tasks(db, organization.id)  # ai.process_call ran through PgBouncer too (no STT: not_configured)
        assert_pooled_through(pgbouncer, before, at_least=SIPUNI_CALLS)

    scores = _score_the_stored_calls(db, organization.id)
    before = int(pgbouncer.stats()["total_xact_count"])
    _assert_statistics(bounced_client, headers, truth, scores, organization.id, db)
    assert_pooled_through(pgbouncer, before, at_least=4)  # one transaction per statistics request at least


def _wait_for_ai_tasks(db: Session, organization_id: int) -> None:
    deadline = time.monotonic() + AI_SETTLE_S
    waiting = [AiStatus.PENDING.value, AiStatus.TRANSCRIBING.value, AiStatus.ANALYZING.value]
    count = select(func.count()).select_from(Call).where(Call.organization_id == organization_id,
                                                         Call.ai_status.in_(waiting))
    while db.scalar(count):
        assert time.monotonic() < deadline, "the AI tasks of the stored calls did not finish"
        time.sleep(0.2)
        db.expire_all()
    db.commit()


def _score_the_stored_calls(db: Session, organization_id: int) -> dict[str, float]:
    """Give each stored call a score out of 10 and one criterion score (what the AI would store)."""
    criterion = Criterion(organization_id=organization_id, name="Greeting", weight=1.0)
    db.add(criterion)
    db.flush()
    scores = {}
    for number, call in enumerate(db.scalars(select(Call).where(Call.organization_id == organization_id))):
        scores[call.external_id] = float(number % 11)
        call.overall_score, call.score_max, call.ai_status = scores[call.external_id], 10, AiStatus.DONE.value
        db.add(CallScore(call_id=call.id, criterion_id=criterion.id, score=scores[call.external_id], max_score=10,
                         weight=1.0))
    db.commit()
    return scores


def _assert_statistics(client: FlaskClient, headers: dict[str, str], truth: list[dict], scores: dict[str, float],
                       organization_id: int, db: Session) -> None:
    """`/stats/overview`, `/stats/employees`, `/stats/daily` and `/stats/criteria` over every day
    of the simulator's calls, against figures computed here."""
    days = sorted(datetime.strptime(call["local_date"], "%d.%m.%Y").date() for call in truth)
    query = f"from={days[0].isoformat()}&to={days[-1].isoformat()}"

    def get(path: str) -> dict:
        response = client.get(f"{path}?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    overview = get("/stats/overview")
    answered = sum(call["answered"] for call in truth)
    assert (overview["calls"], overview["answered"], overview["missed"]) == \
        (len(truth), answered, len(truth) - answered)
    assert overview["talkTimeS"] == sum(call["talk_s"] or 0 for call in truth)
    assert overview["scoredCalls"] == len(scores)
    assert overview["avgScore"] == round(mean(score * 10 for score in scores.values()), 2)

    employees = get("/stats/employees")["employees"]
    ext_of = {user.id: user.ext_code for user in db.scalars(select(User).where(User.organization_id == organization_id))}
    assert {ext_of[row["employeeId"]] for row in employees} == set(EMPLOYEE_EXTS)
    for row in employees:
        theirs = [call for call in truth if call["employee_ext"] == ext_of[row["employeeId"]]]
        assert row["calls"] == len(theirs), row
        assert row["scoredCalls"] == sum(call["record_id"] in scores for call in theirs), row

    daily = get("/stats/daily")["days"]
    assert daily[0]["date"] == days[0].isoformat()
    assert sum(row["calls"] for row in daily) == len(truth)

    criteria = get("/stats/criteria")["criteria"]
    assert [(item["name"], item["scoredCalls"]) for item in criteria] == [("Greeting", len(scores))]
    assert criteria[0]["avgScore"] == round(mean(score * 10 for score in scores.values()), 2)


def test_migrations_run_on_migrations_database_url_not_on_database_url(tmp_path):
    """`alembic upgrade head` as a deployment runs it: DATABASE_URL names a pooler that is not even
    there, MIGRATIONS_DATABASE_URL the database itself; the schema lands in the latter."""
    target = database_url_for_tests() + "_pgbouncer_migrations"
    recreate_database(target)
    nowhere = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/navai"
    env = {**os.environ, "DATABASE_URL": nowhere, "MIGRATIONS_DATABASE_URL": target}
    done = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=MIGRATION_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    engine = create_engine(target)
    try:
        assert {"organizations", "users", "sync_runs", "calls", "alembic_version"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()

    unset = {**os.environ, "DATABASE_URL": nowhere, "MIGRATIONS_DATABASE_URL": ""}
    refused = subprocess.run([sys.executable, "-m", "alembic", "current"], cwd=PROJECT_ROOT, env=unset,
                             capture_output=True, text=True, timeout=MIGRATION_TIMEOUT_S, check=False)
    assert refused.returncode != 0 and "Connection refused" in refused.stderr  # unset: DATABASE_URL is used
