"""`python -m devstack` (what `make run` calls): run the whole system locally."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

import requests

from devstack.bootstrap import ensure_admin, migrate
from devstack.envfile import load_env
from devstack.processes import ProcessGroup
from devstack.procfile import PROJECT_ROOT, procfile_commands, procfile_env
from devstack.redis_local import redis_answers, start_bundled_redis
from devstack.upstreams import after_bootstrap, run_post_start_hooks, start_upstreams
from shared.settings import DEFAULT_PORT, DEFAULT_REDIS_URL, ConfigError, FlowerSettings, Settings

DEFAULT_FLOWER_PORT = 5555
HEALTH_WAIT_S = 90.0
POLL_INTERVAL_S = 0.5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    parser.add_argument("--workdir", default=".", help="where .env and .data/ live (default: here)")
    parser.add_argument("--exit-when-healthy", action="store_true",
                        help="start everything, wait until /health is green, then stop (a smoke test)")
    return parser.parse_args(argv)


def local_defaults(env: dict[str, str], workdir: Path) -> dict[str, str]:
    data = workdir / ".data"
    data.mkdir(parents=True, exist_ok=True)
    env.setdefault("NAVAI_ENV", "development")
    env.setdefault("DATABASE_URL", f"sqlite:///{data / 'navai.sqlite3'}")
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    env["DATA_DIR"] = str((workdir / env.get("DATA_DIR", ".data/files")).resolve())
    env.setdefault("PORT", str(DEFAULT_PORT))
    # Flower reads FLOWER_PORT, FLOWER_BASIC_AUTH and FLOWER_ADDRESS from the environment (kept off the
    # command line); flowerconfig.py in PROJECT_ROOT, its working directory, refuses to run without auth.
    env.setdefault("FLOWER_PORT", str(DEFAULT_FLOWER_PORT))
    env["PYTHONUNBUFFERED"] = "1"
    return procfile_env(env, workdir)


def start_services(group: ProcessGroup) -> None:
    """Start every process of the Procfile (api, worker, beat, flower), as its lines say."""
    for name, command_line in procfile_commands().items():
        group.start_shell(name, command_line)


def wait_until_healthy(port: str, group: ProcessGroup) -> bool:
    deadline = time.monotonic() + HEALTH_WAIT_S
    while time.monotonic() < deadline:
        if group.first_exited():
            return False
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(POLL_INTERVAL_S)
    return False


def print_banner(env: dict[str, str], flower: FlowerSettings, admin_lines: list[str],
                 upstream_lines: list[str]) -> None:
    flower_user = flower.basic_auth[0].partition(":")[0]
    lines = ["", "navai-sync is running:",
             f"  Runs    http://127.0.0.1:{env['PORT']}/   (the live runs page: log in as the admin below)",
             f"  API     http://127.0.0.1:{env['PORT']}   (try: curl http://127.0.0.1:{env['PORT']}/health)",
             f"  Metrics http://127.0.0.1:{env['PORT']}/metrics",
             f"  Flower  http://{flower.flower_address}:{env['FLOWER_PORT']}   (user {flower_user}; password: "
             "FLOWER_BASIC_AUTH in .env)",
             f"  Docs    http://127.0.0.1:{env['PORT']}/docs   (OpenAPI: /openapi.json)",
             *admin_lines, *upstream_lines, "  Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(args.workdir).resolve()
    env = local_defaults(load_env(workdir), workdir)
    try:
        flower = FlowerSettings.from_env(env)  # refuse before starting anything, with Flower's own message
    except ConfigError as exc:
        print(f"flower: {exc}", file=sys.stderr)
        return 1
    group = ProcessGroup(cwd=PROJECT_ROOT, env=env)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if not redis_answers(env["REDIS_URL"]):
            group.adopt("redis", start_bundled_redis(env["REDIS_URL"], workdir / ".data" / "redis"))
            print(f"started the bundled Redis at {env['REDIS_URL']}", flush=True)
        upstream_lines = start_upstreams(group, env, workdir)
        settings = Settings.from_env(env)
        migrate(settings, PROJECT_ROOT)
        admin = ensure_admin(settings)
        upstream_lines += after_bootstrap(settings, admin.organization_id)
        start_services(group)
        if not wait_until_healthy(env["PORT"], group):
            print(f"the system did not become healthy (stopped: {group.first_exited()})", file=sys.stderr)
            return 1
        admin_lines = [f"  Admin   {admin.email} / {admin.password}" if admin.password else
                       f"  Admin   {admin.email} (created on an earlier start)"]
        print_banner(env, flower, admin_lines, upstream_lines + run_post_start_hooks(env))
        if args.exit_when_healthy:
            return 0
        while (exited := group.first_exited()) is None:
            time.sleep(POLL_INTERVAL_S)
        print(f"{exited} stopped; stopping everything", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        group.stop_all()


if __name__ == "__main__":
    sys.exit(main())
