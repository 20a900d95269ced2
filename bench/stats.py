"""Latency of every `/stats/*` request on a large organization, for a 30-day and a one-year window.

Builds, in its own database, one organization with 1,000,000 call-log rows and 200,000 scored
calls (4 criterion scores each, about one violation per two calls) spread over the last
BENCH_DAYS days, loaded in bulk by `generate_series` in SQL. Then asks each statistics request,
and the call list's (`GET /calls`, its filters and downloads), through the real Flask app (JWT, validation, SQL, JSON/CSV/XLSX) and prints a table of latencies.
The goal: every request under 300 ms for a 30-day window (the default, a named period, `extCode`),
under 1 s for a one-year window (`from`/`to` a year apart, `/stats/monthly`).

    BENCH_DATABASE_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_stats; recreated)
    BENCH_REDIS_URL    (default redis://127.0.0.1:6379/13; only the app's connection, nothing is written)
    python bench/stats.py [--log-rows 1000000] [--scored-calls 200000] [--days 365] [--repeat 7] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, text  # noqa: E402

from shared.settings import ENV_TEST, Settings  # noqa: E402
from bench.read_support.database import prepare  # noqa: E402

TARGET_MS = 300  # a 30-day window (or shorter: a named period)
YEAR_TARGET_MS = 1000  # a one-year window
YEAR_DAYS = 365
BENCH_EXT = "106"  # scored calls are every 5th call-log row: their extensions are 101, 106, ..., 146
EMPLOYEES = 50
CRITERIA = 4
PASSWORD = "bench-password-123"
TIME_ZONE = "Asia/Tashkent"

SEED_SQL = """
INSERT INTO organizations (id, name, scoring_mode, time_zone, created_at)
VALUES (1, 'Bench call centre', 'HUNDRED', :tz, now());
INSERT INTO users (id, email, password_hash, role, organization_id, ext_code, full_name, is_active, created_at)
SELECT n, 'employee' || n || '@bench.test', :hash, 'EMPLOYEE', 1, (100 + n)::text, 'Employee ' || n, true, now()
FROM generate_series(1, :employees) AS n;
INSERT INTO users (id, email, password_hash, role, organization_id, is_active, created_at)
VALUES (:employees + 1, 'admin@bench.test', :hash, 'ADMIN', 1, true, now());
SELECT setval(pg_get_serial_sequence('users', 'id'), :employees + 1);
-- Two branches, five departments (1, 3, 5 in the first branch), ten employees in each department.
INSERT INTO branches (id, organization_id, name, created_at) VALUES (1, 1, 'North', now()), (2, 1, 'South', now());
INSERT INTO departments (id, organization_id, branch_id, name, created_at)
SELECT n, 1, 2 - n % 2, 'Department ' || n, now() FROM generate_series(1, 5) AS n;
UPDATE users SET department_id = 1 + id % 5 WHERE role = 'EMPLOYEE';
INSERT INTO criteria (id, organization_id, name, weight, is_active, created_at, updated_at)
SELECT n, 1, 'Criterion ' || n, n, true, now(), now() FROM generate_series(1, :criteria) AS n;

-- The call log: every exported call, answered (60%) or missed, 5% without a known employee.
INSERT INTO call_log (organization_id, record_id, direction, status, started_at, ext_code, employee_id,
                      from_number, to_number, call_duration_s, talk_duration_s, answer_duration_s,
                      has_recording, first_seen_at, updated_at)
SELECT 1, (1700000000 + n) || '.' || n,
       CASE WHEN n % 20 < 11 THEN 'outgoing' WHEN n % 20 < 18 THEN 'incoming' ELSE 'internal' END,
       CASE WHEN n % 5 < 3 THEN 'answered' ELSE 'missed' END,
       now() - make_interval(secs => n * (:days * 86400.0 / :log_rows)),
       CASE WHEN n % 20 = 0 THEN NULL ELSE (100 + 1 + n % :employees)::text END,
       CASE WHEN n % 20 = 0 THEN NULL ELSE 1 + n % :employees END,
       '99890' || lpad((n % 10000000)::text, 7, '0'), '998901471049',
       30 + n % 300, CASE WHEN n % 5 < 3 THEN 20 + n % 280 END, CASE WHEN n % 5 < 3 THEN 2 + n % 20 END,
       true, now(), now()
FROM generate_series(1, :log_rows) AS n;

-- What followed each missed incoming call (GET /calls?callback=...): a quarter of each state (by
-- id / 20: direction and status already follow id % 20).
UPDATE call_log SET callback_state = (ARRAY['none', 'called_back', 'tried', 'client_called_back'])[1 + id / 20 % 4],
                    callback_delay_s = CASE WHEN id / 20 % 4 > 0 THEN 15 + id % 3600 END,
                    callback_at = CASE WHEN id / 20 % 4 > 0 THEN started_at + make_interval(secs => 15 + id % 3600) END
WHERE direction = 'incoming' AND status = 'missed';

-- The scored calls (step 2 + AI), with their criterion scores and violations: each is the call
-- log's row m = n * (log rows / scored calls), an answered one, as step 2 stores a logged call.
INSERT INTO calls (id, organization_id, employee_id, external_id, direction, status, started_at, raw, ai_status,
                   overall_score, score_max, recording_path, created_at, updated_at)
SELECT n, 1, CASE WHEN m % 20 = 0 THEN NULL ELSE 1 + m % :employees END, (1700000000 + m) || '.' || m,
       'incoming', 'answered', now() - make_interval(secs => m * (:days * 86400.0 / :log_rows)), '{}'::jsonb,
       'done', (n * 37) % 101, 100, 'recordings/' || m || '.mp3', now(), now()
FROM generate_series(1, :scored) AS n, LATERAL (SELECT n * (:log_rows / :scored) AS m) AS logged;
SELECT setval(pg_get_serial_sequence('calls', 'id'), :scored);
INSERT INTO call_scores (call_id, criterion_id, score, max_score, weight)
SELECT c, k, (c * 13 + k * 7) % 101, 100, k FROM generate_series(1, :scored) AS c, generate_series(1, :criteria) AS k;
INSERT INTO violations (call_id, position, description)
SELECT c, 0, 'interrupted the client' FROM generate_series(1, :scored) AS c WHERE c % 2 = 0;
"""

REQUESTS = (
    ("overview", "/stats/overview"),
    ("employees", "/stats/employees"),
    ("employees sort=avgScore", "/stats/employees?sort=avgScore"),
    ("daily", "/stats/daily"),
    ("daily employeeId=7", "/stats/daily?employeeId=7"),
    ("criteria", "/stats/criteria"),
    ("employees.csv", "/stats/employees.csv"),
    ("employees.xlsx", "/stats/employees.xlsx"),
    ("overview as EMPLOYEE", "/stats/overview"),
    ("overview period=today", "/stats/overview?period=today"),
    ("overview period=week", "/stats/overview?period=week"),
    ("overview period=month", "/stats/overview?period=month"),
    ("overview extCode", f"/stats/overview?extCode={BENCH_EXT}"),
    ("employees extCode", f"/stats/employees?extCode={BENCH_EXT}"),
    ("daily extCode", f"/stats/daily?extCode={BENCH_EXT}"),
    ("criteria extCode", f"/stats/criteria?extCode={BENCH_EXT}"),
    ("hourly", "/stats/hourly"),
    ("hourly extCode", f"/stats/hourly?extCode={BENCH_EXT}"),
    ("hourly.xlsx", "/stats/hourly.xlsx"),
    ("overview departmentId", "/stats/overview?departmentId=1"),
    ("employees branchId", "/stats/employees?branchId=1"),
    ("daily departmentId", "/stats/daily?departmentId=1"),
    ("departments", "/stats/departments"),
    ("departments.xlsx", "/stats/departments.xlsx"),
)
# Over the year up to today (`{window}` is filled in at run time), and the months of this year.
YEAR_REQUESTS = (
    ("overview", "/stats/overview?{window}"),
    ("employees", "/stats/employees?{window}"),
    ("employees.xlsx", "/stats/employees.xlsx?{window}"),
    ("daily", "/stats/daily?{window}"),
    ("criteria", "/stats/criteria?{window}"),
    ("hourly", "/stats/hourly?{window}"),
    ("overview extCode", f"/stats/overview?{{window}}&extCode={BENCH_EXT}"),
    ("employees extCode", f"/stats/employees?{{window}}&extCode={BENCH_EXT}"),
    ("monthly (this year)", "/stats/monthly"),
    ("monthly extCode", f"/stats/monthly?extCode={BENCH_EXT}"),
    ("monthly.xlsx", "/stats/monthly.xlsx"),
    ("hourly as EMPLOYEE", "/stats/hourly?{window}"),
    ("overview departmentId", "/stats/overview?{window}&departmentId=1"),
    ("departments", "/stats/departments?{window}"),
)
# The call list (GET /calls): its window is always explicit, `{window}` as above or `{month}`, the
# last 30 days (UTC days, the list's own); "[1 year]" rows take the year's window.
CALL_REQUESTS = (
    ("calls", "/calls?{month}"),
    ("calls worklist", "/calls?{month}&status=missed&callback=none"),
    (f"calls extCode={BENCH_EXT} missed", f"/calls?{{month}}&extCode={BENCH_EXT}&status=missed"),
    ("calls search", "/calls?{month}&search=0001234"),
    ("calls aiStatus minScore", "/calls?{month}&aiStatus=done&minScore=50"),
    ("calls.csv worklist", "/calls.csv?{month}&status=missed&callback=none"),
    ("calls.xlsx worklist", "/calls.xlsx?{month}&status=missed&callback=none"),
    ("calls as EMPLOYEE", "/calls?{month}"),
    ("calls departmentId", "/calls?{month}&departmentId=1"),
    ("calls worklist branchId", "/calls?{month}&status=missed&callback=none&branchId=1"),
    ("calls [1 year]", "/calls?{window}"),
    ("calls worklist [1 year]", "/calls?{window}&status=missed&callback=none"),
    ("calls search [1 year]", "/calls?{window}&search=0001234"),
    ("calls as EMPLOYEE [1 year]", "/calls?{window}"),
    ("calls departmentId [1 year]", "/calls?{window}&departmentId=1"),
)


def main() -> int:
    args = parse_args()
    bench_db = prepare("navai_bench_stats", reuse=args.reuse, seed=lambda engine: seed(engine, args))
    in_window = rows_in_window(bench_db.engine)
    print(f"{'reused' if args.reuse else 'loaded'} {args.log_rows:,} call-log rows and {args.scored_calls:,} scored calls "
          f"({args.scored_calls * CRITERIA:,} criterion scores) over {args.days} days in {bench_db.load_s:.1f} s")
    print(f"30-day window ({TIME_ZONE}): {in_window[0]:,} call-log rows, {in_window[1]:,} scored calls\n")
    results = time_requests(bench_db.database_url, bench_db.redis_url, args.repeat, planned_requests())
    print_table(results, args.repeat)
    print(f"\nload average while timing (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    bench_db.engine.dispose()
    return 0 if all(max(times) < target for _, target, times in results) else 1


def planned_requests() -> list[tuple[str, str, int]]:
    """(label, path, target in ms): the 30-day requests, then the one-year ones."""
    today = datetime.now(ZoneInfo(TIME_ZONE)).date()
    window = f"from={(today - timedelta(days=YEAR_DAYS - 1)).isoformat()}&to={today.isoformat()}"
    utc_today = datetime.now(timezone.utc).date()
    month = f"from={(utc_today - timedelta(days=29)).isoformat()}&to={utc_today.isoformat()}"
    return ([(label, path, TARGET_MS) for label, path in REQUESTS] +
            [(f"{label} [1 year]", path.format(window=window), YEAR_TARGET_MS) for label, path in YEAR_REQUESTS] +
            [(label, path.format(window=window, month=month), YEAR_TARGET_MS if "[1 year]" in label else TARGET_MS)
             for label, path in CALL_REQUESTS])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log-rows", type=int, default=1_000_000)
    parser.add_argument("--scored-calls", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365, help="history the rows are spread over")
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per row (after one warm-up)")
    parser.add_argument("--reuse", action="store_true", help="time the database a previous run loaded (no reload)")
    return parser.parse_args()


def seed(engine: Engine, args: argparse.Namespace) -> float:
    from api.auth.routes import hash_password

    started = time.perf_counter()
    params = {"tz": TIME_ZONE, "hash": hash_password(PASSWORD), "employees": EMPLOYEES, "criteria": CRITERIA,
              "days": args.days, "log_rows": args.log_rows, "scored": args.scored_calls}
    with engine.begin() as connection:
        for statement in (part.strip() for part in SEED_SQL.split(";\n")):
            if statement:
                connection.execute(text(statement), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def rows_in_window(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        log = connection.scalar(text("SELECT count(*) FROM call_log WHERE started_at >= now() - interval '30 days'"))
        scored = connection.scalar(text("SELECT count(*) FROM calls WHERE started_at >= now() - interval '30 days'"))
    return int(log or 0), int(scored or 0)


def time_requests(database_url: str, redis_url: str, repeat: int,
                  plan: list[tuple[str, str, int]]) -> list[tuple[str, int, list[float]]]:
    from api import create_app

    settings = Settings(navai_env=ENV_TEST, database_url=database_url, redis_url=redis_url,
                        jwt_secret_key="bench-" + "x" * 26).checked()
    app = create_app(settings)
    client = app.test_client()
    admin = _login(client, "admin@bench.test")
    employee = _login(client, "employee7@bench.test")
    results = []
    for label, path, target in plan:
        headers = employee if "EMPLOYEE" in label else admin
        _get(client, path, headers)  # warm-up: connection pool, plan cache
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            _get(client, path, headers)
            times.append((time.perf_counter() - started) * 1000)
        results.append((label, target, times))
    app.extensions["navai"].engine.dispose()
    return results


def _login(client, email: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _get(client, path: str, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code} {response.get_data(as_text=True)[:300]}")


def print_table(results: list[tuple[str, int, list[float]]], repeat: int) -> None:
    print(f"{'request (30-day window unless [1 year])':<42} {'median ms':>10} {'max ms':>8} {'target':>8}  "
          f"({repeat} runs each)")
    for label, target, times in results:
        verdict = "ok" if max(times) < target else "SLOW"
        print(f"{label:<42} {statistics.median(times):>10.1f} {max(times):>8.1f} {target:>8}  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
