"""`python -m simulators.sipuni --port P --user U --secret S --calls N --seed X`"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from simulators.sipuni.server import SimState, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simulators.sipuni", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True, help="the account number requests must carry (a string)")
    parser.add_argument("--secret", required=True, help="the secret requests are signed with")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tz-offset-hours", type=float, default=5)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args(argv)
    state = SimState(args.user, args.secret, args.calls, args.seed, args.tz_offset_hours)
    state.faults.latency_ms = args.latency_ms
    server = serve(args.host, args.port, state)
    print(f"Sipuni simulator on http://{args.host}:{args.port}/api ({args.calls} calls, seed {args.seed})", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
