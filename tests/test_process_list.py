"""One home for the queues and the process list: the `Procfile`, `docker-compose.yml` and
`celeryconfig` agree with `shared.catalog` (`make run` starts the Procfile's lines itself).

Every worker consumes exactly the four platform queues, `WORKER_QUEUES`; the housekeeping queue
is added by the Celery app, so no command line names it.
"""

from __future__ import annotations

import shlex
from typing import Any

import pytest
import yaml
from honcho.environ import parse_procfile

from shared.catalog import QUEUES, WORKER_QUEUES
from shared.settings import ENV_TEST, Settings
from tests.support.workers import PROJECT_ROOT

PROCESSES = {"api", "worker", "beat", "flower"}
QUEUE_OPTIONS = ("-Q", "--queues")


def procfile() -> dict[str, list[str]]:
    """Process name -> argv, as honcho (and so `make run`) reads the Procfile."""
    commands = parse_procfile((PROJECT_ROOT / "Procfile").read_text()).processes
    return {name: shlex.split(command) for name, command in commands.items()}


def compose_services() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())["services"]


def compose_command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def is_worker(argv: list[str]) -> bool:
    return argv[:1] == ["celery"] and "worker" in argv


def worker_queues(argv: list[str]) -> set[str]:
    """The queues a `celery ... worker` command line consumes (`-Q a,b`, `-Q=a,b`, `--queues a,b`)."""
    for index, token in enumerate(argv):
        option, equals, value = token.partition("=")
        if option in QUEUE_OPTIONS:
            return set((value if equals else argv[index + 1]).split(","))
    raise AssertionError(f"worker without -Q (it would consume Celery's default queue only): {argv}")


def program(argv: list[str]) -> tuple[str, ...]:
    """What a command runs, without its tuning: the WSGI app of gunicorn, `celery -A app <command>`."""
    if argv[0] == "gunicorn":
        return ("gunicorn", argv[-1])
    return tuple(argv[:4])


def worker_commands() -> dict[str, list[str]]:
    commands = {f"Procfile {name}": argv for name, argv in procfile().items() if is_worker(argv)}
    for name, service in compose_services().items():
        if "command" in service and is_worker(compose_command(service)):
            commands[f"compose {name}"] = compose_command(service)
    return commands


def test_the_procfile_names_api_worker_beat_and_flower():
    assert set(procfile()) == PROCESSES


def test_compose_runs_the_same_processes_as_the_procfile():
    services = compose_services()
    assert PROCESSES <= set(services)
    for name, argv in procfile().items():
        assert program(compose_command(services[name])) == program(argv), name


def test_every_worker_consumes_exactly_the_platform_queues():
    commands = worker_commands()
    assert {"Procfile worker", "compose worker"} <= set(commands)
    for where, argv in commands.items():
        assert worker_queues(argv) == set(WORKER_QUEUES), where


@pytest.mark.parametrize("line", [
    "celery -A workers worker -Q default,hemis,sipuni,recordings,ai --loglevel INFO",
    "celery -A workers worker --queues=hemis,sipuni,recordings --loglevel INFO",
])
def test_the_queue_check_notices_a_different_set(line):
    assert worker_queues(shlex.split(line)) != set(WORKER_QUEUES)


def test_celery_routes_only_to_catalogued_queues():
    import celeryconfig

    config = celeryconfig.build_config(Settings(navai_env=ENV_TEST))
    routed = {route["queue"] for route in config["task_routes"].values()}
    assert routed and routed <= set(QUEUES), routed - set(QUEUES)
    assert config["task_default_queue"] in QUEUES
