"""Many HEMIS simulators in one process, each on its own port, so that each is its own host.

The workers key a HEMIS server's rate budget by its host (`shared.hemis.instance`: two organizations
on one installation share its limiter), so the simulator's named instances (`/i/<name>` on one port)
would all share one budget. Forty universities are forty hosts: here each instance is a root
simulator (`simulators.hemis.server.make_server`) on a port of its own, all served by one process
(its CPU is its own, not the bench's), each configured over its own control API.

    python -m bench.hemis_many_support.fleet_server --ports 40001,40002,...
"""

from __future__ import annotations

import argparse
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

from bench.hemis_many_support.fleet import Instance
from simulators.hemis.control import SimulatorControl
from simulators.hemis.server import make_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
# Each page is asked for once (a refused request is answered before any page is built), so caching
# serialized pages would only hold memory.
NO_PAGE_CACHE_BYTES = 0


def serve(ports: list[int]) -> None:
    """One simulator per port, each refusing every token until it is configured."""
    servers = [make_server(HOST, port, secrets.token_urlsafe(24), 0, 0, 1, page_cache_bytes=NO_PAGE_CACHE_BYTES)
               for port in ports]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"HEMIS fleet on {len(servers)} ports", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    for server in servers:
        server.shutdown()
        server.server_close()


def start_fleet_server(ports: list[int]) -> subprocess.Popen[bytes]:
    """The fleet's process (in its own session, so its CPU is measured as a group)."""
    command = [sys.executable, "-m", "bench.hemis_many_support.fleet_server", "--ports", ",".join(map(str, ports))]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, start_new_session=True)


def url_of(port: int) -> str:
    return f"http://{HOST}:{port}"


def configure(port: int, instance: Instance, token: str, latency_ms: float) -> SimulatorControl:
    """Give the simulator on `port` the instance's students, token and Yii2 limiter."""
    control = SimulatorControl(url_of(port))
    control.wait_until_up()
    control.reset(students=instance.students, seed=instance.seed)
    control.config(token=token, latency_ms=latency_ms,
                   rate_limit={"limit": instance.pace.limit, "window_s": instance.pace.window_s, "headers": True})
    return control


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ports", required=True, help="comma-separated ports, one simulator each")
    args = parser.parse_args(argv)
    serve([int(port) for port in args.ports.split(",")])


if __name__ == "__main__":
    main()
