"""Setting the stage for each measured run: the database (once), a private redis-server and a
PgBouncer per run, the simulators per workload, and the floors run on the same data."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from bench.scale_support.floors import hemis_floor_cpu_s, sipuni_floor_cpu_s
from bench.scale_support.report import Row
from bench.scale_support.scenarios import (
    Stage,
    log_dir_for,
    measure_hemis,
    measure_sipuni_step2,
)
from shared.db import make_engine, make_session_factory, session_scope
from shared.models import Organization, User
from shared.settings import ENV_TEST, Settings
from shared.sipuni.names import csv_path
from simulators.hemis.control import SimulatorControl, start_simulator_process
from simulators.sipuni.calls import EXTENSIONS
from tests.support.pgbouncer import start_pgbouncer
from tests.support.restarts import PrivateRedis
from tests.support.services import free_port, recreate_database
from workers.sipuni.client import SipuniClient

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RECORDING_BYTES = 16 * 1024  # small recordings: the bench measures per-call cost, not disk bandwidth
SIPUNI_USER = "012345"
HEMIS_WORKLOAD, SIPUNI_WORKLOAD = "HEMIS students", "Sipuni step 2"
SIMULATOR_START_TIMEOUT_S = 60
# The Sipuni floor downloads one recording after another (its wall time is the simulator's, ~40 ms a
# call): it does the first this many calls of the export; its CPU per call does not depend on size.
SIPUNI_FLOOR_SAMPLE_CALLS = 2_000
# Server connections PgBouncer keeps for the two workers' 16 processes (clients wait for one otherwise).
PGBOUNCER_POOL_SIZE = 20


class Upstreams:
    """The bench's database (re-created and migrated once) and the per-run pieces around it."""

    def __init__(self, workdir: Path, database_url: str, *, pgbouncer: bool, stack: ExitStack) -> None:
        self.workdir, self.database_url, self.use_pgbouncer, self.stack = workdir, database_url, pgbouncer, stack
        recreate_database(database_url)
        alembic = Config(str(PROJECT_ROOT / "alembic.ini"))
        alembic.set_main_option("sqlalchemy.url", database_url)
        alembic.attributes["configure_logger"] = False
        command.upgrade(alembic, "head")
        self.engine = make_engine(database_url)
        self.data_dir = workdir / "data"
        self._runs = 0

    @contextmanager
    def stage(self, **changes: Any) -> Iterator[Stage]:
        """A private, empty redis-server and (unless disabled) a PgBouncer for one run."""
        self._runs += 1
        redis = PrivateRedis(self.workdir / f"redis-{self._runs}")
        redis.start()
        with ExitStack() as cleanup:
            cleanup.callback(redis.stop)
            database_url, count = self.database_url, (lambda: None)
            if self.use_pgbouncer:
                bouncer = start_pgbouncer(self.database_url, pool_size=PGBOUNCER_POOL_SIZE)
                cleanup.callback(bouncer.stop)
                database_url = bouncer.url
                # SHOW STATS lists a database once a client has used it: none yet counts 0.
                count = lambda: sum(int(row["total_query_count"]) for row in bouncer.of_database("STATS"))
            settings = Settings(navai_env=ENV_TEST, database_url=database_url, redis_url=redis.url,
                                jwt_secret_key=secrets.token_urlsafe(32), data_dir=str(self.data_dir),
                                **changes).checked()
            yield Stage(settings=settings, count_statements=count)

    def truncate(self, *tables: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def hemis_sizes(upstreams: Upstreams, sizes: tuple[int, ...]) -> list[Row]:
    port, token = free_port(), secrets.token_urlsafe(24)
    api_url = f"http://127.0.0.1:{port}"
    simulator = start_simulator_process(port, token, students=0, employees=0, stdout=subprocess.DEVNULL)
    upstreams.stack.callback(_terminate, simulator)
    control = SimulatorControl(api_url)
    control.wait_until_up()
    rows = []
    for students in sizes:
        control.reset(students=students)
        upstreams.truncate("students")
        with upstreams.stage(hemis_api_url=api_url, hemis_bearer_token=token, hemis_rate_limit=0) as stage:
            measured = measure_hemis(stage, students, log_dir_for("hemis"))
            page_size = stage.settings.hemis_page_size
        floor_cpu_s, written = hemis_floor_cpu_s(upstreams.database_url, api_url, token, page_size)
        rows.append(Row(HEMIS_WORKLOAD, measured, floor_cpu_s, written))
        print(f"HEMIS {students}: {measured}", file=sys.stderr)
    return rows


def sipuni_sizes(upstreams: Upstreams, sizes: tuple[int, ...]) -> list[Row]:
    rows = []
    for calls in sizes:
        secret = "0." + secrets.token_hex(6)
        port = free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        simulator = subprocess.Popen(
            [sys.executable, "-m", "simulators.sipuni", "--port", str(port), "--user", SIPUNI_USER, "--secret", secret,
             "--calls", str(calls), "--seed", "5"], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait_for_sipuni(api_url, {"recordingSizes": {"*": RECORDING_BYTES}})
            rows.append(_sipuni_size(upstreams, api_url, secret, calls))
        finally:
            _terminate(simulator)
    return rows


def _sipuni_size(upstreams: Upstreams, api_url: str, secret: str, calls: int) -> Row:
    upstreams.truncate("calls", "call_log", "users", "organizations")
    project_org, _employees = _organization(upstreams, "project", secret)
    floor_org, floor_employees = _organization(upstreams, "floor", secret)
    client = SipuniClient(api_url, SIPUNI_USER, secret)
    for organization_id in (project_org, floor_org):
        path = csv_path(str(upstreams.data_dir), organization_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        client.export_all_to(path, calls)
    with upstreams.stage(sipuni_api_url=api_url, sipuni_user=SIPUNI_USER, sipuni_secret=secret,
                         sipuni_rate_limit=0) as stage:
        measured = measure_sipuni_step2(stage, calls, project_org, log_dir_for("sipuni"))
    floor_cpu_s, floor_rows = sipuni_floor_cpu_s(upstreams.database_url, api_url, SIPUNI_USER, secret,
                                                 csv_path(str(upstreams.data_dir), floor_org), floor_org,
                                                 floor_employees, upstreams.data_dir / "floor-recordings",
                                                 limit=SIPUNI_FLOOR_SAMPLE_CALLS)
    print(f"Sipuni {calls}: {measured}", file=sys.stderr)
    return Row(SIPUNI_WORKLOAD, measured, floor_cpu_s, floor_rows)


def _organization(upstreams: Upstreams, name: str, secret: str) -> tuple[int, dict[str, int]]:
    """An organization on the simulator's account with an employee per simulated extension."""
    factory = make_session_factory(upstreams.engine)
    with session_scope(factory) as session:
        organization = Organization(name=name, sipuni_user=SIPUNI_USER, sipuni_secret=secret)
        session.add(organization)
        session.flush()
        employees = {}
        for ext in EXTENSIONS:
            user = User(email=f"{name}-{ext}@bench.local", password_hash="-", role="EMPLOYEE",
                        organization_id=organization.id, ext_code=ext)
            session.add(user)
            session.flush()
            employees[ext] = user.id
        return organization.id, employees


def _wait_for_sipuni(api_url: str, faults: dict[str, Any]) -> None:
    import time

    import requests

    control = api_url.removesuffix("/api") + "/control/faults"
    deadline = time.monotonic() + SIMULATOR_START_TIMEOUT_S
    while True:
        try:
            requests.post(control, json=faults, timeout=5).raise_for_status()
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=20)
