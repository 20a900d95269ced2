"""Costs that stay linear (issue #21): HEMIS students runs and Sipuni step 2 at three sizes each.

    python bench/scale.py                 # HEMIS 23,238 / 100,000 / 250,000; Sipuni 2,000 / 10,000 / 30,000
    python bench/scale.py --quick         # HEMIS 2,000 / 6,000; Sipuni 200 / 600 (a smoke run)
    python bench/scale.py --hemis 50000 --calls 0   # one size, HEMIS only

Each run: the simulators as upstreams (no latency, no rate limit), two Celery worker processes at
the project's default concurrency (prefork -c WORKER_CONCURRENCY, as Procfile runs them), a private
redis-server started empty for the run (its command counter and peak memory belong to the run), and
PostgreSQL behind a private PgBouncer in transaction mode (its SHOW STATS counts the statements;
`--no-pgbouncer` connects directly and leaves that column empty).

Figures (noise moves wall time; the others it barely moves):
- wall s; worker CPU s per 1,000 units (user + system of both workers' process groups);
- Redis commands per unit; PostgreSQL statements per unit; peak RSS of any one worker process
  (VmHWM, sampled); peak Redis memory;
- floor CPU s per 1,000 units: one process doing the same upstream reads and database writes with
  the project's fastest primitives and no task system (bench/scale_support/floors.py), and
  project / floor. The HEMIS floor reads every page; the Sipuni floor the first 2,000 calls (it
  downloads one recording after another; its CPU per call does not depend on the size).
Targets: CPU per unit and commands per unit flat (largest / smallest <= 1.15), peak RSS flat (<= 1.15),
HEMIS worker CPU <= 3x the floor.

Needs PostgreSQL (`BENCH_DATABASE_URL`, default postgresql+psycopg2://postgres@127.0.0.1:5432/
navai_bench_scale, dropped and re-created), Debian's redis-server and pgbouncer binaries.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from bench.scale_support.report import Row, print_report
from bench.scale_support.stages import Upstreams, hemis_sizes, sipuni_sizes

FULL_HEMIS = (23_238, 100_000, 250_000)
FULL_CALLS = (2_000, 10_000, 30_000)
QUICK_HEMIS = (2_000, 6_000)
QUICK_CALLS = (200, 600)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of the bench itself")
    parser.add_argument("--hemis", type=_sizes, help="comma-separated student counts (0: skip HEMIS)")
    parser.add_argument("--calls", type=_sizes, help="comma-separated call counts (0: skip Sipuni)")
    parser.add_argument("--no-pgbouncer", action="store_true", help="connect to PostgreSQL directly")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_scale"))
    args = parser.parse_args()
    args.hemis = args.hemis if args.hemis is not None else (QUICK_HEMIS if args.quick else FULL_HEMIS)
    args.calls = args.calls if args.calls is not None else (QUICK_CALLS if args.quick else FULL_CALLS)
    return args


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if int(part) > 0)


def main() -> int:
    args = parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="navai-bench-scale-") as workdir, ExitStack() as stack:
        upstreams = Upstreams(Path(workdir), args.database_url, pgbouncer=not args.no_pgbouncer, stack=stack)
        if args.hemis:
            rows += hemis_sizes(upstreams, args.hemis)
        if args.calls:
            rows += sipuni_sizes(upstreams, args.calls)
    print_report(rows, pgbouncer=not args.no_pgbouncer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
