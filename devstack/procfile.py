"""The process list of `make run`: the project's `Procfile`, read with honcho's parser.

The Procfile is the one home of every long-running process's command line (the api, the worker,
beat, Flower). `make run` starts exactly those lines, through the shell as any Procfile runner
does, and adapts them to one machine only through the variables the lines read
(`${PORT:-3000}` style): never through a second copy of the commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from honcho.environ import parse_procfile

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROCFILE_PATH = PROJECT_ROOT / "Procfile"

# What `make run` needs on one developer machine, where the Procfile's defaults suit a server.
LOCAL_API_ADDRESS = "127.0.0.1"  # this machine only: the local .env's secrets are throwaway
LOCAL_WEB_CONCURRENCY = 2
LOCAL_WORKER_CONCURRENCY = 2
BEAT_SCHEDULE_FILE_NAME = "celerybeat-schedule"
# gunicorn reads GUNICORN_CMD_ARGS itself: the access log on stdout, with the other processes' output.
ACCESS_LOG_ARGS = "--access-logfile -"


def procfile_commands(path: Path = PROCFILE_PATH) -> dict[str, str]:
    """Process name -> command line, in the Procfile's order."""
    return dict(parse_procfile(path.read_text()).processes)


def procfile_env(env: dict[str, str], workdir: Path) -> dict[str, str]:
    """Set the variables the Procfile's lines read, for a local run (values already set win).

    The commands name `gunicorn` and `celery`: the interpreter's own bin directory goes first on
    PATH, so that they are this virtualenv's whatever the caller's PATH says.
    """
    env.setdefault("API_ADDRESS", LOCAL_API_ADDRESS)
    env.setdefault("WEB_CONCURRENCY", str(LOCAL_WEB_CONCURRENCY))
    env.setdefault("WORKER_CONCURRENCY", str(LOCAL_WORKER_CONCURRENCY))
    env.setdefault("BEAT_SCHEDULE_FILE", str(workdir / ".data" / BEAT_SCHEDULE_FILE_NAME))
    # gunicorn's access log has a format of its own: left out when every line must be JSON.
    if env.get("LOG_FORMAT", "").strip().lower() != "json":
        env.setdefault("GUNICORN_CMD_ARGS", ACCESS_LOG_ARGS)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    return env
