"""`python -m simulators.hemis --port P --token T --students N --employees M --seed S [--duplicate-persons D]`

The options set up the root instance; more instances, each under `/i/<name>`, are created over the
control API (`POST /_control/instances`, `SimulatorControl.create_instance`): see `server.py`.
"""

from __future__ import annotations

import argparse
import os

from simulators.hemis.page_cache import DEFAULT_BUDGET_BYTES
from simulators.hemis.ratelimit import limiter_from
from simulators.hemis.server import make_server

DEFAULT_PORT = 8790
MIB = 1024 * 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="simulators.hemis", description="A faithful HEMIS REST API simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--token", default=os.environ.get("HEMIS_SIMULATOR_TOKEN", ""),
                        help="the bearer token to accept (default: $HEMIS_SIMULATOR_TOKEN)")
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--employees", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duplicate-persons", type=int, default=0,
                        help="persons listed twice: the last D student items are second enrolments of the first D")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=0, help="Yii2 rate limit: requests per window (0 = none)")
    parser.add_argument("--rate-window-s", type=int, default=60, help="the rate limit's window in seconds")
    parser.add_argument("--no-rate-headers", action="store_true", help="the limiter sends no X-Rate-Limit-* headers")
    parser.add_argument("--page-cache-mb", type=int, default=DEFAULT_BUDGET_BYTES // MIB,
                        help="memory for serialized list pages, shared by every instance (0 = no cache)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token (or HEMIS_SIMULATOR_TOKEN) is required")
    try:
        server = make_server(args.host, args.port, args.token, args.students, args.employees, args.seed,
                             args.verbose, duplicate_persons=args.duplicate_persons,
                             page_cache_bytes=args.page_cache_mb * MIB)
    except ValueError as exc:
        parser.error(str(exc))
    server.state.latency_s = args.latency_ms / 1000
    if args.rate_limit:
        server.state.rate_limiter = limiter_from({"limit": args.rate_limit, "window_s": args.rate_window_s,
                                                  "headers": not args.no_rate_headers})
    print(f"HEMIS simulator on http://{args.host}:{args.port} ({args.students} students, "
          f"{args.employees} employee rows, seed {args.seed})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
