"""`make run` starts the Procfile's own lines, adapted to one machine through the variables they
read: rendered here by the shell exactly as `make run` runs them, without starting anything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from devstack.__main__ import local_defaults
from devstack.procfile import PROCFILE_PATH, procfile_commands
from shared.catalog import WORKER_QUEUES

RENDER_TIMEOUT_S = 10


def rendered(command_line: str, env: dict[str, str]) -> list[str]:
    """The argv the shell would run for `command_line` in `env` (printed instead of run)."""
    result = subprocess.run(f"printf '%s\\n' {command_line}", shell=True, env=env, capture_output=True,
                            text=True, check=True, timeout=RENDER_TIMEOUT_S)
    return result.stdout.splitlines()


def local_argv(tmp_path: Path, **env: str) -> dict[str, list[str]]:
    local = local_defaults({"PATH": os.defpath, **env}, tmp_path)
    return {name: rendered(line, local) for name, line in procfile_commands().items()}


def test_make_run_starts_the_procfile_processes():
    lines = [line for line in PROCFILE_PATH.read_text().splitlines() if line.strip()]
    assert list(procfile_commands()) == [line.split(":", 1)[0] for line in lines]
    assert list(procfile_commands()) == ["api", "worker", "beat", "flower"]


def test_the_local_run_binds_this_machine_and_keeps_its_files_in_the_workdir(tmp_path):
    argv = local_argv(tmp_path, PORT="3123")
    assert argv["api"][:3] == ["gunicorn", "--bind", "127.0.0.1:3123"]
    assert argv["api"][-1] == "api:create_app()"
    worker = argv["worker"]
    assert worker[worker.index("-Q") + 1].split(",") == list(WORKER_QUEUES)
    assert worker[worker.index("--concurrency") + 1] == "2"
    beat = argv["beat"]
    assert beat[beat.index("--schedule") + 1] == str(tmp_path / ".data" / "celerybeat-schedule")
    assert argv["flower"] == ["celery", "-A", "workers", "flower"]


def test_a_server_gets_the_procfile_defaults():
    argv = {name: rendered(line, {"PATH": os.defpath}) for name, line in procfile_commands().items()}
    assert argv["api"][:5] == ["gunicorn", "--bind", "0.0.0.0:3000", "--workers", "2"]
    worker = argv["worker"]
    assert worker[worker.index("--concurrency") + 1] == "8"
    assert argv["beat"][-2:] == ["--schedule", "celerybeat-schedule"]


def test_the_access_log_is_on_except_with_json_logs(tmp_path):
    assert local_defaults({"PATH": os.defpath}, tmp_path)["GUNICORN_CMD_ARGS"] == "--access-logfile -"
    assert "GUNICORN_CMD_ARGS" not in local_defaults({"PATH": os.defpath, "LOG_FORMAT": "json"}, tmp_path)
