"""The two traced walks of bench/floorplan.py, against one checkout.

    PYTHONPATH=<repo>:<this bench dir> python -m floorplan_support.walks --repo <repo> --out result.json

Run from bench/floorplan.py (never import this next to another checkout's code: the project's
modules come from <repo>). It sets up its own PostgreSQL database and Redis DB, starts the three
simulators and one traced solo worker, drives the API in-process through Flask's test client, and
writes the walks' segments (see tracer.py) as JSON. Every wait has a timeout; every process it
started is stopped on the way out, error or not.

Interfaces of the project it relies on (nothing else): `shared.settings.Settings.from_env`,
`api.create_app(settings)`, `shared.models` (Organization, User, Call), the routes
POST /auth/login, POST /criteria, POST /api/hemis/sync/students, POST /sipuni/step1-fetch-csv,
POST /sipuni/step2-process-recordings, GET /runs/<runId>, `celery -A workers worker`, the repo's
alembic.ini, and the simulators under simulators/.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from floorplan_support.traced_worker import TRACE_FILE_ENV
from floorplan_support.tracer import WalkRecorder

DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_floorplan"
REDIS_URL = "redis://127.0.0.1:6379/11"  # our own DB number: the tests use 14 and 15
WORKER_QUEUES = "default,hemis,sipuni,recordings,ai"
HEMIS_STUDENTS = 300  # with 50 per page: 6 pages, so page tasks beyond page 1 exist
HEMIS_PAGE_SIZE = 50
HEMIS_SEED = 1
SIPUNI_SEEDS_TRIED = 200  # seeds tried for a one-call history whose call has audio and a known employee
AI_MODEL = "simulated-llm"
RECOVERY_SWEEP_INTERVAL_S = 3600
ADMIN_PASSWORD = "floorplan-" + secrets.token_hex(8)
CRITERION = {"name": "Greeting", "weight": 1, "description": "The operator greets the caller and gives their name."}
FINISHED_RUN_STATUSES = ("completed", "completed_with_errors", "failed")
SETTLED_AI_STATUSES = ("done", "failed", "not_configured", "skipped", "no_speech")
# The tasks on one call's path, trigger to score (reported if one never ran).
SIPUNI_CALL_TASKS = ("sipuni.process_csv", "sipuni.fan_out_calls", "recordings.process_call", "ai.process_call",
                     "ai.transcribe", "ai.analyze", "sipuni.finalize_step2")
HEMIS_PAGE_TASK = "hemis.sync_page"
FAILURE_STATE = "FAILURE"  # Celery's state of a task that raised (a retry is RETRY)
WORKER_NAME = "worker"

MIGRATION_TIMEOUT_S = 180
SIMULATOR_START_TIMEOUT_S = 20
WORKER_START_TIMEOUT_S = 60
RUN_TIMEOUT_S = 120
CALL_SCORED_TIMEOUT_S = 120
QUIET_TIMEOUT_S = 60
# The walk is over when no task has been running or started for this long (a task queued by the
# last one would have started within it: the worker is idle and prefetches nothing).
QUIET_S = 2.0
POLL_S = 0.2
STOP_GRACE_S = 15
HTTP_TIMEOUT_S = 5
LOG_TAIL_LINES = 25
EXIT_SETUP_FAILED = 2
EXIT_WALK_FAILED = 3  # the JSON is written; a walk in it carries {"error": ...}
EXIT_TERMINATED = 143


class WalkError(RuntimeError):
    """A step of a walk failed; the message says which and why."""


# --- child processes ---------------------------------------------------------------------------

@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM (Celery's warm shutdown), SIGKILL if it does not end in time. By pid only."""
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_GRACE_S)


@dataclass
class Children:
    workdir: Path
    repo: Path
    started: list[Child] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Child:
        log_path = self.workdir / f"{name}.log"
        with log_path.open("wb") as log:
            # Same process group as this driver: bench/floorplan.py can end the whole group on a timeout.
            process = subprocess.Popen(command, cwd=self.repo, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                                       stdout=log, stderr=subprocess.STDOUT)
        child = Child(name, process, log_path)
        self.started.append(child)
        return child

    def stop_all(self) -> None:
        for child in reversed(self.started):
            try:
                child.stop()
            except Exception as exc:  # keep stopping the others
                print(f"floorplan: could not stop {child.name} (pid {child.process.pid}): {exc}", file=sys.stderr)

    def check_alive(self) -> None:
        for child in self.started:
            if not child.alive():
                raise WalkError(f"{child.name} exited (code {child.process.returncode}):\n{child.log_tail()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, ready: Callable[[], bool], timeout_s: float, check: Callable[[], None] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check is not None:
            check()
        if ready():
            return
        time.sleep(POLL_S)
    raise WalkError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def answers(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            return requests.get(url, timeout=HTTP_TIMEOUT_S).status_code < 500
        except requests.RequestException:
            return False
    return ready


def port_open(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        with socket.socket() as sock:
            sock.settimeout(HTTP_TIMEOUT_S)
            return sock.connect_ex(("127.0.0.1", port)) == 0
    return ready


# --- services ----------------------------------------------------------------------------------

def recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": parsed.database})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def migrate(repo: Path, url: str, env: dict[str, str]) -> None:
    """The checkout's own Alembic migrations, in a child process (its env.py imports the project)."""
    command = [sys.executable, "-m", "alembic", "-c", str(repo / "alembic.ini"), "-x", f"url={url}", "upgrade", "head"]
    done = subprocess.run(command, cwd=repo, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=MIGRATION_TIMEOUT_S)
    if done.returncode != 0:
        raise WalkError(f"alembic upgrade head failed:\n{(done.stdout + done.stderr)[-3000:]}")


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


@dataclass
class Upstreams:
    hemis_url: str
    hemis_token: str
    sipuni_url: str  # the API base, .../api
    sipuni_control: str
    sipuni_user: str
    sipuni_secret: str
    ai_url: str


def start_upstreams(children: Children) -> Upstreams:
    hemis_port, sipuni_port, ai_port = free_port(), free_port(), free_port()
    token = secrets.token_urlsafe(24)
    user, secret = f"0{secrets.randbelow(100_000):05d}", f"0.{secrets.token_hex(6)}"
    python = sys.executable
    children.start("hemis-simulator", [python, "-m", "simulators.hemis", "--port", str(hemis_port),
                                               "--students", str(HEMIS_STUDENTS), "--employees", "0",
                                               "--seed", str(HEMIS_SEED)], {"HEMIS_SIMULATOR_TOKEN": token})
    children.start("sipuni-simulator", [python, "-m", "simulators.sipuni", "--port", str(sipuni_port),
                                                 "--user", user, "--secret", secret, "--calls", "1"], {})
    children.start("ai-simulator", [python, "-m", "simulators.ai", "--port", str(ai_port)], {})
    upstreams = Upstreams(hemis_url=f"http://127.0.0.1:{hemis_port}", hemis_token=token,
                          sipuni_url=f"http://127.0.0.1:{sipuni_port}/api",
                          sipuni_control=f"http://127.0.0.1:{sipuni_port}/control", sipuni_user=user,
                          sipuni_secret=secret, ai_url=f"http://127.0.0.1:{ai_port}")
    wait_until("the HEMIS simulator", answers(f"{upstreams.hemis_url}/_control/stats"), SIMULATOR_START_TIMEOUT_S,
               children.check_alive)
    wait_until("the Sipuni simulator", answers(f"{upstreams.sipuni_control}/stats"), SIMULATOR_START_TIMEOUT_S,
               children.check_alive)
    wait_until("the AI simulator", port_open(ai_port), SIMULATOR_START_TIMEOUT_S, children.check_alive)
    return upstreams


def one_call_history(upstreams: Upstreams) -> dict[str, Any]:
    """Reset the Sipuni simulator to exactly one call that has a recording and an employee
    extension (the seed decides; the first fitting seed is taken). Returns that call."""
    for seed in range(1, SIPUNI_SEEDS_TRIED + 1):
        requests.post(f"{upstreams.sipuni_control}/reset", json={"calls": 1, "seed": seed},
                      timeout=HTTP_TIMEOUT_S).raise_for_status()
        (call,) = requests.get(f"{upstreams.sipuni_control}/calls", timeout=HTTP_TIMEOUT_S).json()
        if call.get("recording") == "ok" and call.get("employee_ext"):
            return dict(call)
    raise WalkError(f"no seed in 1..{SIPUNI_SEEDS_TRIED} gives a one-call history with audio and a known extension")


def project_env(upstreams: Upstreams, data_dir: Path) -> dict[str, str]:
    """The configuration, as environment variables (what the worker reads; the API gets the same
    through Settings.from_env)."""
    return {
        "NAVAI_ENV": "test", "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
        "JWT_SECRET_KEY": secrets.token_urlsafe(48), "DATA_DIR": str(data_dir),
        "HEMIS_API_URL": upstreams.hemis_url, "HEMIS_BEARER_TOKEN": upstreams.hemis_token,
        "HEMIS_PAGE_SIZE": str(HEMIS_PAGE_SIZE), "HEMIS_RATE_LIMIT": "0",
        "SIPUNI_API_URL": upstreams.sipuni_url, "SIPUNI_RATE_LIMIT": "0",
        "STT_API_URL": f"{upstreams.ai_url}/stt", "AI_PROVIDER": "openai",
        "OPENAI_BASE_URL": f"{upstreams.ai_url}/openai/v1", "AI_MODEL": AI_MODEL,
        "AI_RATE_LIMIT": "0", "STT_RATE_LIMIT": "0",
        # Tasks also send the recovery sweep, at most once per interval: at an hour, the first task
        # sends it and no later one, so no sweep lands inside a walk by the luck of the clock.
        "RECOVERY_SWEEP_INTERVAL_S": str(RECOVERY_SWEEP_INTERVAL_S),
    }


# --- the traced worker -------------------------------------------------------------------------

class TraceFile:
    """The JSON lines the traced worker appends (see traced_worker.py)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def tasks(self) -> list[dict[str, Any]]:
        return sorted((r for r in self.records() if r["type"] == "task"), key=lambda r: r["start"])

    def check_no_failure_since(self, since: float) -> None:
        """Raise at once if a task started after `since` ended in FAILURE: waiting on would only
        run into a timeout."""
        failed = [task for task in self.tasks() if task["start"] >= since and task.get("state") == FAILURE_STATE]
        if failed:
            names = ", ".join(f"{task['task']}[{task['id']}]" for task in failed)
            raise WalkError(f"task(s) failed in the worker: {names}")

    def running_and_last_start(self) -> tuple[set[str], float]:
        """Ids of tasks started and not ended (a retried task starts again under the same id),
        and the time of the last start."""
        records = self.records()
        starts = Counter(r["id"] for r in records if r["type"] == "start")
        ends = Counter(r["id"] for r in records if r["type"] == "task")
        last_start = max((r["start"] for r in records if r["type"] == "start"), default=0.0)
        return {task_id for task_id, count in starts.items() if count > ends[task_id]}, last_start


def start_traced_worker(children: Children, env: dict[str, str], trace_file: Path) -> Child:
    name = f"floorplan-{secrets.token_hex(3)}@{os.uname().nodename}"
    command = [sys.executable, "-m", "floorplan_support.traced_worker", "-A", "workers", "worker", "-P", "solo",
               "-Q", WORKER_QUEUES, "-n", name, "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
    worker = children.start(WORKER_NAME, command, {**env, TRACE_FILE_ENV: str(trace_file)})
    wait_until(f"the worker {name} to answer a ping", lambda: _pings(name), WORKER_START_TIMEOUT_S,
               children.check_alive)
    return worker


def _pings(name: str) -> bool:
    from celery import Celery

    probe = Celery(broker=REDIS_URL, set_as_current=False)
    try:
        replies = probe.control.ping(destination=[name], timeout=0.5) or []
        return any(name in reply for reply in replies)
    finally:
        probe.close()


def wait_for_quiet(traces: TraceFile, children: Children) -> None:
    def quiet() -> bool:
        running, last_start = traces.running_and_last_start()
        return not running and time.time() - last_start >= QUIET_S
    wait_until("the worker to finish its tasks", quiet, QUIET_TIMEOUT_S, children.check_alive)


# --- the API, in-process ---------------------------------------------------------------------------

@dataclass
class Api:
    client: Any  # flask.testing.FlaskClient
    headers: dict[str, str]
    children: Children
    traces: TraceFile

    def check(self, since: float) -> Callable[[], None]:
        """What every wait checks on each poll: the children alive, no task failed since `since`."""
        def check() -> None:
            self.children.check_alive()
            self.traces.check_no_failure_since(since)
        return check

    def post(self, route: str, expected: int, **kwargs: Any) -> dict[str, Any]:
        response = self.client.post(route, headers=self.headers, **kwargs)
        if response.status_code != expected:
            raise WalkError(f"POST {route} answered {response.status_code} (expected {expected}): "
                            f"{response.get_data(as_text=True)[:500]}")
        return dict(response.get_json() or {})

    def wait_for_run(self, run_id: str, since: float) -> dict[str, Any]:
        body: dict[str, Any] = {}

        def finished() -> bool:
            nonlocal body
            body = dict(self.client.get(f"/runs/{run_id}", headers=self.headers).get_json() or {})
            return body.get("status") in FINISHED_RUN_STATUSES
        try:
            wait_until(f"run {run_id} to finish", finished, RUN_TIMEOUT_S, self.check(since))
        except WalkError as exc:
            raise WalkError(f"{exc}; last seen: {json.dumps(body)[:500]}") from exc
        return body


def make_app(env: dict[str, str]) -> Any:
    from api import create_app
    from shared.settings import Settings

    app = create_app(Settings.from_env(env))
    app.config["TESTING"] = True
    return app


def seed_organization(engine: Engine, upstreams: Upstreams, employee_ext: str) -> tuple[int, str]:
    """An organization with the simulator's Sipuni account, its ADMIN, and an EMPLOYEE whose
    extension is the call's. Returns (organization id, admin e-mail)."""
    from sqlalchemy.orm import Session
    from werkzeug.security import generate_password_hash

    from shared.models import Organization, User

    email = f"admin-{secrets.token_hex(3)}@floorplan.test"
    with Session(engine) as session:
        organization = Organization(name="Floorplan", sipuni_user=upstreams.sipuni_user,
                                    sipuni_secret=upstreams.sipuni_secret)
        session.add(organization)
        session.flush()
        session.add(User(email=email, password_hash=generate_password_hash(ADMIN_PASSWORD), role="ADMIN",
                         organization_id=organization.id))
        session.add(User(email=f"employee-{employee_ext}@floorplan.test", role="EMPLOYEE",
                         password_hash=generate_password_hash(secrets.token_urlsafe(16)),
                         organization_id=organization.id, ext_code=employee_ext))
        session.commit()
        return organization.id, email


def log_in(client: Any, email: str) -> dict[str, str]:
    response = client.post("/auth/login", json={"email": email, "password": ADMIN_PASSWORD})
    if response.status_code != 200:
        raise WalkError(f"POST /auth/login answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


# --- the two walks -----------------------------------------------------------------------------

def hemis_walk(api: Api, traces: TraceFile) -> dict[str, Any]:
    """A full students run; the walk is one page task, the first one after page 1."""
    since = time.time()
    started = api.post("/api/hemis/sync/students", 202)
    run = api.wait_for_run(started["runId"], since)
    if run.get("status") != "completed":
        raise WalkError(f"the HEMIS run ended {run.get('status')}: {json.dumps(run)[:500]}")
    wait_for_quiet(traces, api.children)
    pages = [task for task in traces.tasks() if task["task"] == HEMIS_PAGE_TASK]
    if not pages:
        seen = sorted({task["task"] for task in traces.tasks()})
        raise WalkError(f"no {HEMIS_PAGE_TASK} task ran (tasks seen: {', '.join(seen)})")
    chosen = first_page_after_one(pages)
    return {"segments": [chosen], "run": _run_summary(run),
            "tasks": dict(Counter(task["task"] for task in traces.tasks())),
            "notes": [f"{len(pages)} {HEMIS_PAGE_TASK} tasks ran; traced: page {page_number(chosen)}"]}


def page_number(task: dict[str, Any]) -> int | None:
    """The page a page task fetched: its `page` keyword, else its last integer argument."""
    kwargs, args = task.get("kwargs") or {}, task.get("args") or []
    if isinstance(kwargs, dict) and isinstance(kwargs.get("page"), int):
        return int(kwargs["page"])
    if not isinstance(args, list):
        return None
    numbers = [arg for arg in args if isinstance(arg, int) and not isinstance(arg, bool)]
    return numbers[-1] if numbers else None


def first_page_after_one(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """The lowest page > 1 that ran; the first page task by start time if pages are not readable."""
    numbered = [(page_number(task), task) for task in pages]
    later = [(number, task) for number, task in numbered if number is not None and number > 1]
    return min(later, key=lambda pair: (pair[0], pair[1]["start"]))[1] if later else pages[0]


def sipuni_walk(api: Api, traces: TraceFile, engine: Engine, organization_id: int,
                call: dict[str, Any]) -> dict[str, Any]:
    """Step 1 (not traced: it fetches the export), then step 2 traced from the API request to
    the call's AI score: the request in-process, then every task the worker ran from then on."""
    api.post("/criteria", 201, json=CRITERION)
    since = time.time()
    step1 = api.post("/sipuni/step1-fetch-csv", 202)
    run1 = api.wait_for_run(step1["runId"], since)
    if run1.get("status") != "completed":
        raise WalkError(f"Sipuni step 1 ended {run1.get('status')}: {json.dumps(run1)[:500]}")
    wait_for_quiet(traces, api.children)

    request = WalkRecorder(label="POST /sipuni/step2-process-recordings")
    request.start()
    try:
        response = api.client.post("/sipuni/step2-process-recordings", headers=api.headers)
    finally:
        request.stop()
    if response.status_code != 202:
        raise WalkError(f"POST /sipuni/step2-process-recordings answered {response.status_code}: "
                        f"{response.get_data(as_text=True)[:500]}")
    run2 = api.wait_for_run(response.get_json()["runId"], request.started_at)
    ai_status = wait_for_call_scored(engine, organization_id, api.check(request.started_at))
    wait_for_quiet(traces, api.children)
    tasks = [task for task in traces.tasks() if task["start"] >= request.started_at]
    names = {task["task"] for task in tasks}
    notes = [f"call {call['record_id']} (ext {call['employee_ext']}): step 2 run {run2.get('status')}, "
             f"ai_status {ai_status}"]
    notes += [f"task {name} never ran" for name in SIPUNI_CALL_TASKS if name not in names]
    notes += [f"also ran: {name}" for name in sorted(names - set(SIPUNI_CALL_TASKS))]
    if run2.get("status") != "completed" or ai_status != "done":
        raise WalkError("the Sipuni call did not reach its AI score: " + "; ".join(notes))
    segment = request.as_record(type="request", task=request.label, id="api")
    return {"segments": [segment, *tasks], "run": _run_summary(run2), "notes": notes,
            "tasks": dict(Counter(task["task"] for task in tasks))}


def wait_for_call_scored(engine: Engine, organization_id: int, check: Callable[[], None]) -> str:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from shared.models import Call

    status = ""

    def settled() -> bool:
        nonlocal status
        with Session(engine) as session:
            statuses = list(session.scalars(select(Call.ai_status).where(Call.organization_id == organization_id)))
        status = str(statuses[0]) if len(statuses) == 1 else f"{len(statuses)} calls stored"
        return status in SETTLED_AI_STATUSES
    try:
        wait_until("the call's AI score", settled, CALL_SCORED_TIMEOUT_S, check)
    except WalkError as exc:
        raise WalkError(f"{exc}; the call's ai_status: {status or 'no call stored'}") from exc
    return status


def _run_summary(run: dict[str, Any]) -> dict[str, Any]:
    return {key: run.get(key) for key in ("runId", "status", "total", "processed", "skipped", "failed")}


# --- main --------------------------------------------------------------------------------------

def check_checkout(repo: Path) -> None:
    """The project's packages must come from the measured checkout (not an editable install)."""
    import importlib

    for name in ("shared", "api", "workers"):
        module = importlib.import_module(name)
        location = Path(getattr(module, "__file__", "") or next(iter(getattr(module, "__path__", [""]))))
        if repo not in location.resolve().parents:
            raise WalkError(f"`{name}` is imported from {location}, not from {repo}: check PYTHONPATH")


@dataclass
class Setup:
    api: Api
    traces: TraceFile
    engine: Engine
    organization_id: int
    call: dict[str, Any]


def run_walks(repo: Path, workdir: Path) -> dict[str, Any]:
    """Set up, then both walks. A failed setup raises WalkError; a failed walk is recorded as
    {"error": ...} and the other walk still runs (a checkout mid-restructure may break only one).
    Whatever happens (SIGTERM included), every child process is stopped on the way out."""
    children = Children(workdir=workdir, repo=repo)
    engines: list[Engine] = []
    began = time.monotonic()
    try:
        try:
            setup = set_up(repo, workdir, children, engines)
        except Exception as exc:
            raise WalkError(with_worker_log(_message(exc), children)) from exc
        timings = {"setup_s": time.monotonic() - began}
        hemis = attempt(lambda: hemis_walk(setup.api, setup.traces), children, timings, "hemis_s")
        sipuni = attempt(lambda: sipuni_walk(setup.api, setup.traces, setup.engine, setup.organization_id,
                                             setup.call), children, timings, "sipuni_s")
        return {"repo": str(repo), "hemis": hemis, "sipuni": sipuni, "timings": timings}
    finally:
        children.stop_all()
        for engine in engines:
            engine.dispose()


def set_up(repo: Path, workdir: Path, children: Children, engines: list[Engine]) -> Setup:
    """A migrated database, an empty Redis DB, the simulators, the seeded organization, the traced
    worker and the API app logged in as the organization's ADMIN."""
    check_checkout(repo)
    recreate_database(DATABASE_URL)
    migrate(repo, DATABASE_URL, {"PYTHONPATH": os.environ.get("PYTHONPATH", str(repo))})
    flush_redis(REDIS_URL)
    upstreams = start_upstreams(children)
    call = one_call_history(upstreams)
    data_dir = workdir / "data"
    data_dir.mkdir()
    env = project_env(upstreams, data_dir)
    engine = create_engine(DATABASE_URL)
    engines.append(engine)
    organization_id, email = seed_organization(engine, upstreams, str(call["employee_ext"]))
    traces = TraceFile(workdir / "traces.jsonl")
    start_traced_worker(children, env, traces.path)
    app = make_app(env)
    api = Api(client=app.test_client(), headers=log_in(app.test_client(), email), children=children, traces=traces)
    return Setup(api=api, traces=traces, engine=engine, organization_id=organization_id, call=call)


def attempt(walk: Callable[[], dict[str, Any]], children: Children, timings: dict[str, float],
            timing_key: str) -> dict[str, Any]:
    began = time.monotonic()
    try:
        return walk()
    except Exception as exc:
        return {"error": with_worker_log(_message(exc), children)}
    finally:
        timings[timing_key] = time.monotonic() - began


def _message(exc: Exception) -> str:
    return str(exc) if isinstance(exc, WalkError) else f"{type(exc).__name__}: {exc}"


def with_worker_log(message: str, children: Children) -> str:
    """The message, plus the worker's last log lines unless it already carries them."""
    worker = next((child for child in children.started if child.name == WORKER_NAME), None)
    if worker is None or f"{worker.name} exited" in message:
        return message
    return f"{message}\n--- last lines of the worker's log ({worker.log_path}):\n{worker.log_tail()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="where the walks' JSON goes")
    parser.add_argument("--workdir", type=Path, required=True, help="logs, data and traces (kept on failure)")
    args = parser.parse_args(argv)
    # A SIGTERM (floorplan.py's timeout) unwinds like an error: every child is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_TERMINATED))
    repo = args.repo.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = run_walks(repo, args.workdir)
    except WalkError as exc:
        print(f"{exc}\n(logs kept in {args.workdir})", file=sys.stderr)
        return EXIT_SETUP_FAILED
    args.out.write_text(json.dumps(result), encoding="utf-8")
    shutil.rmtree(args.workdir / "data", ignore_errors=True)
    failed = [key for key in ("hemis", "sipuni") if "error" in result[key]]
    for key in failed:
        print(f"the {key} walk failed: {result[key]['error']}\n(logs kept in {args.workdir})", file=sys.stderr)
    return EXIT_WALK_FAILED if failed else 0


if __name__ == "__main__":
    sys.exit(main())
