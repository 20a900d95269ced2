"""Fair at scale (issue #20 point 2): many universities' HEMIS runs sharing two workers.

    python bench/hemis_many.py            # 40 instances of 500 to 20,000 students (about 5 minutes)
    python bench/hemis_many.py --quick    # 8 instances of 500 to 3,000 students (under a minute)
    python bench/hemis_many.py --rates 0.5,1,2,4 --seed 3    # other paces; --plan prints the fleet only

The fleet: simulated HEMIS instances, sizes geometric from the smallest to the largest, each its own
host (a port of one simulator process, `hemis_many_support/fleet_server.py`: the workers' rate budget
is per host) behind its own Yii2 limiter, with a pace drawn (seeded) from `--rates`. One instance is
unreachable (its URL a port nobody listens on), one refuses our token. An organization per instance
points to it. Two worker processes (`celery -A workers worker -Q hemis` at the default concurrency)
and nothing else, a private `redis-server` started empty and PostgreSQL behind a private PgBouncer
(`bench/scale_support`), HEMIS_RATE_LIMIT=0 (no cap of our own: each server's limiter alone paces
it), page size 200, every answer 100 ms after its request.

Every organization's students run is started at one moment; when all have ended, one row per
instance: students, pages, limit/window, its ideal time, the measured time (`finished_at -
started_at` of its `sync_runs` row), the ratio, when its last request arrived (seconds after its
start), its requests and 429s as its simulator saw them, the status.

The ideal time of an instance under its own limit (L requests per W seconds, P pages):
    ideal = max(0, P - L) * W / L + latency
Yii2 starts a new client with a full allowance of L requests, which may all be sent at once; after
that the only sustainable pace is one request per W / L seconds (reference hemis.md §13). So the
last of P pages can be asked for no sooner than (P - L) * W / L seconds after the first, and it is
answered one request's latency later. It leaves out everything on our side (the coordinator's start,
storing the last page, the end-of-run check) and the budget's 6% spacing margin: the target, each
healthy instance within 1.3x of its ideal, leaves them 30%. (Yii2 counts whole seconds, so a run of
a few requests that straddle second boundaries can beat the ideal by up to a second.)

The paces: the default menu is 0.25 and 0.5 requests/s, with the initial allowance at most 4 and a
quarter of the instance's pages, and no ideal over 200 s (`hemis_many_support/fleet.py`). Forty
instances at 0.5 to 4 requests/s ask for about 50 pages/s (10,000 records/s) at the start, twice what
two workers store on this 2-CPU machine (measured: about 23 pages/s); the default asks for 18
pages/s in its busiest 10 s, about 0.4 of the workers' CPUs. `--rates 0.5,1,2,4` runs the faster fleet.

Totals: how many healthy instances met 1.3x; worker CPU seconds per 1,000 records (user + system of
both workers' process groups); Redis commands per page stored (the private server's command counter,
the bench's own sampling of the queue included: 5 commands a second); the two broken instances'
status and time; the demand (the ideal schedule's busiest 10 s) against the capacity measured just
before (one HEMIS with no limiter, the same workers: `--no-calibrate` skips it); the CPU the workers
and the whole machine used, and the load average (the machine is shared). Written next to the
workers' logs: `timeline.csv` (every second: page tasks waiting in the queue and held by the workers,
the workers' and the machine's CPU) and `requests.json` (every instance's requests, in seconds after
its run's start, 429s included). Exit status 1 if a healthy instance missed 1.3x or a broken one did
not fail within 30 s.

Needs PostgreSQL (`BENCH_DATABASE_URL`, default postgresql+psycopg2://postgres@127.0.0.1:5432/
navai_bench_many, dropped and re-created), Debian's redis-server and pgbouncer binaries.
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

from bench.hemis_many_support.fleet import check_rates, demand_per_s, plan_fleet  # noqa: E402
from bench.hemis_many_support.race import calibration_instance, run_race  # noqa: E402
from bench.hemis_many_support.table import print_report  # noqa: E402
from bench.scale_support.stages import Upstreams  # noqa: E402
from shared.settings import DEFAULT_HEMIS_PAGE_SIZE  # noqa: E402

FULL = {"instances": 40, "smallest": 500, "largest": 20_000, "rates": (0.25, 0.5), "max_ideal_s": 200.0,
        "calibration": 50_000}
QUICK = {"instances": 8, "smallest": 500, "largest": 3_000, "rates": (0.5, 1.0, 2.0), "max_ideal_s": 20.0,
         "calibration": 10_000}
LATENCY_MS = 100.0  # each HEMIS answers 100 ms after it is asked (a remote university's server)
DEFAULT_SEED = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 small instances: under a minute")
    parser.add_argument("--instances", type=int, help="how many HEMIS instances (two of them broken)")
    parser.add_argument("--smallest", type=int, help="students of the smallest instance")
    parser.add_argument("--largest", type=int, help="students of the largest instance")
    parser.add_argument("--rates", type=_rates, help="the paces drawn from, requests/s, comma-separated")
    parser.add_argument("--max-ideal-s", type=float, help="no instance's ideal longer than this (bounds the run)")
    parser.add_argument("--calibration", type=int, help="students of the unthrottled calibration run")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--latency-ms", type=float, default=LATENCY_MS)
    parser.add_argument("--no-calibrate", action="store_true", help="skip measuring the workers' capacity first")
    parser.add_argument("--plan", action="store_true", help="print the fleet and its demand, run nothing")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_many"))
    args = parser.parse_args()
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if args.instances < 4:
        parser.error("--instances: at least 4 (two of them are broken)")
    return args


def _rates(text: str) -> tuple[float, ...]:
    rates = tuple(float(part) for part in text.split(","))
    try:
        check_rates(rates)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return rates


def main() -> int:
    args = parse_args()
    page_size = DEFAULT_HEMIS_PAGE_SIZE
    fleet = plan_fleet(args.instances, args.smallest, args.largest, args.rates, args.seed, page_size,
                       args.max_ideal_s)
    print(f"{len(fleet)} instances, {sum(i.students for i in fleet)} students, paces {args.rates} requests/s; "
          f"demand {demand_per_s(fleet, page_size):.1f} pages/s; load average now "
          + " / ".join(f"{v:.2f}" for v in os.getloadavg()), file=sys.stderr)
    if args.plan:
        for instance in fleet:
            print(instance.name, instance.students, instance.pages(page_size), instance.pace.label, instance.role,
                  f"ideal {instance.ideal_s(page_size, args.latency_ms / 1000):.1f} s")
        return 0
    calibration = None if args.no_calibrate else calibration_instance(args.calibration, args.seed)
    log_dir = Path(tempfile.mkdtemp(prefix="navai-bench-many-"))
    with tempfile.TemporaryDirectory(prefix="navai-bench-many-") as workdir, ExitStack() as stack:
        upstreams = Upstreams(Path(workdir), args.database_url, pgbouncer=True, stack=stack)
        figures = run_race(upstreams, fleet, args.latency_ms, calibration, log_dir, stack)
    passed = print_report(figures, page_size, args.latency_ms / 1000)
    print(f"workers' logs and the timeline (timeline.csv): {log_dir}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
