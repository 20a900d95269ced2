"""Real Celery worker processes for the tests (never eager mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from celery import Celery

import celeryconfig
from shared.catalog import WORKER_QUEUES
from shared.settings import Settings

# The platform's four queues; every worker adds the housekeeping queue itself (workers.recovery.worker_signals).
ALL_QUEUES = ",".join(WORKER_QUEUES)
LOG_TAIL_LINES = 60
WORKER_START_TIMEOUT_S = 60.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill_hard(self) -> None:
        """SIGKILL the whole worker: the main process and its pool children, as a crash would."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill_hard()


def start_worker(settings: Settings, log_dir: Path, name: str, *,
                 queues: str = ALL_QUEUES, concurrency: int = 2, extra_env: dict[str, str] | None = None,
                 pool: str = "prefork") -> WorkerProcess:
    """Start `celery -A workers worker` in its own process group and wait until it answers a ping."""
    hostname = f"{name}@{os.uname().nodename}"
    log_path = log_dir / f"{name}.log"
    env = {**os.environ, **settings.to_env(), **(extra_env or {})}
    env["PYTHONUNBUFFERED"] = "1"
    command = [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", queues, "-c", str(concurrency),
               "-P", pool, "-n", hostname, "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    worker = WorkerProcess(name=hostname, process=process, log_path=log_path)
    _wait_for_ping(control_client(settings), worker)
    return worker


def control_client(settings: Settings) -> Celery:
    """A Celery app on `settings`' broker (one Redis, or Sentinel's master) to ping workers with."""
    client = Celery(set_as_current=False)
    client.conf.update(celeryconfig.redis_config(settings))
    return client


def _wait_for_ping(celery_app: Celery, worker: WorkerProcess) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(f"worker {worker.name} exited at start:\n{worker.log()}")
        replies = celery_app.control.ping(destination=[worker.name], timeout=0.5) or []
        if any(worker.name in reply for reply in replies):
            return
    worker.stop()
    raise RuntimeError(f"worker {worker.name} did not answer a ping within {WORKER_START_TIMEOUT_S}s:\n{worker.log()}")


BEAT_READY_TEXT = "beat: Starting..."


def start_beat(settings: Settings, log_dir: Path, name: str) -> WorkerProcess:
    """Start `celery -A workers beat` (its own schedule file) in its own process group."""
    log_path = log_dir / f"{name}.log"
    env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel", "INFO",
               "--schedule", str(log_dir / f"{name}-schedule")]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    beat = WorkerProcess(name=name, process=process, log_path=log_path)
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    while BEAT_READY_TEXT not in beat.log():
        if process.poll() is not None or time.monotonic() > deadline:
            beat.stop()
            raise RuntimeError(f"beat {name} did not start:\n{beat.log()}")
        time.sleep(0.1)
    return beat


@contextmanager
def logs_on_failure(processes: list[WorkerProcess], lines: int = LOG_TAIL_LINES) -> Iterator[None]:
    """An assertion failing in the block carries the last `lines` log lines of each process: a
    rare failure in CI is then explained by its own output."""
    try:
        yield
    except AssertionError as exc:
        tails = "\n".join(f"--- {p.name} (exit code {p.process.poll()}):\n"
                          + "\n".join(p.log().splitlines()[-lines:]) for p in processes)
        raise AssertionError(f"{exc}\n{tails}") from exc
