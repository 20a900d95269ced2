"""Latency of the directory's read routes (`api/directory/`) on a large university.

Builds, in its own database, an organization with `--students` student rows (500,000 by default:
one person in 16 enrolled twice, 12 faculties, `--groups` groups, 120 specialties and a new one of
100 students, statuses, forms and courses in realistic shares and a rare status, a raw HEMIS item
of ~1 KB on every row), 20,000
employees and the lookup lists; a second organization of 50,000 students beside it, so that every
query must find its tenant's rows among others. Loaded in bulk by `generate_series` in SQL, then
rewritten once as a nightly sync rewrites every row it sees (`--nights`), and vacuumed as
autovacuum would after it: the table then has the free space a synced table carries day to day,
which every scan of it reads. Then asks each read route through the real Flask app (JWT, validation,
SQL, JSON) and prints a table of medians. The goal: every route under 300 ms (median); the
downloads are timed after it, with their size. The lists and the counts read the students' list
index (`ix_students_list`: organization, name and id, with every filtered column beside them);
without it each of them scans the table (250-550 ms here).

    BENCH_DATABASE_URL (default postgresql+psycopg2://postgres@127.0.0.1:5432/navai_bench_students; recreated)
    BENCH_REDIS_URL    (default redis://127.0.0.1:6379/13; only the app's connection, nothing is written)
    python bench/students.py [--students 500000] [--groups 900] [--nights 1] [--repeat 7] [--reuse] [--no-downloads]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, text  # noqa: E402

from shared.settings import ENV_TEST, Settings  # noqa: E402
from bench.read_support.database import prepare  # noqa: E402

TARGET_MS = 300
EMPLOYEES = 20_000
OTHER_STUDENTS = 50_000  # the second organization's
ENROLLED_TWICE_EVERY = 16
FACULTIES = 12
SPECIALTIES = 120
PASSWORD = "bench-password-123"

# Names as HEMIS writes them: SURNAME FIRST-NAME PATRONYMIC, drawn by a hash of the row number so
# that the name order has nothing to do with the id order.
SURNAMES = ("KARIMOV", "KARIMOVA", "TOSHMATOV", "YUSUPOV", "YUSUPOVA", "RAHIMOV", "ERGASHEV", "ALIYEV", "ALIYEVA",
            "SAIDOV", "NAZAROV", "NAZAROVA", "QODIROV", "XOLMATOV", "MIRZAYEV", "ABDULLAYEV", "ABDULLAYEVA",
            "ISMOILOV", "JO‘RAYEV", "O‘RINBOYEV", "SULTONOV", "TURSUNOV", "TURSUNOVA", "USMONOV", "SHARIPOV",
            "SOBIROV", "HAMIDOV", "G‘OFUROV", "BOBOYEV", "NORMATOV", "АЛИЕВ", "ЮСУПОВА", "КАРИМОВ", "ИСМОИЛОВА")
FIRST_NAMES = ("BOBUR", "DILNOZA", "JASUR", "MADINA", "OTABEK", "SHAHNOZA", "SARDOR", "NIGORA", "ULUG‘BEK", "ZARINA",
               "AZIZ", "MUHLISA", "DIYOR", "SEVARA", "ISLOM", "MALIKA", "JAHONGIR", "NODIRA", "AKMAL", "FERUZA",
               "SHERZOD", "GULNORA", "TIMUR", "LAYLO", "ANVAR", "КАМОЛА", "РУСТАМ", "ДИЛШОД")
PATRONYMICS = ("ALISHER O‘G‘LI", "ALISHER QIZI", "RUSTAM O‘G‘LI", "RUSTAM QIZI", "BAXTIYOR O‘G‘LI", "FARHOD QIZI",
               "SHAVKAT O‘G‘LI", "ODIL QIZI", "ЭРКИН УГЛИ", "ЭРКИН КИЗИ")


def _array(values: tuple[str, ...]) -> str:
    return "(ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "])"


SEED_SQL = f"""
INSERT INTO organizations (id, name, scoring_mode, time_zone, created_at)
VALUES (1, 'Bench university', 'TEN', 'Asia/Tashkent', now()), (2, 'Another university', 'TEN', 'Asia/Tashkent', now());
SELECT setval(pg_get_serial_sequence('organizations', 'id'), 2);
INSERT INTO users (id, email, password_hash, role, organization_id, is_active, created_at)
VALUES (1, 'admin@bench.test', :hash, 'ADMIN', 1, true, now());
SELECT setval(pg_get_serial_sequence('users', 'id'), 1);

-- Students: organization 1 has :students rows, organization 2 :other; one row in {ENROLLED_TWICE_EVERY} is the
-- previous row's person again (a second degree). Shares: status 11 85 %, 12 5 %, 13 4 %, 14 6 %; form 11
-- 70 %, 13 20 %, 16 10 %; courses 1-4 (5-6 for a few); 95 % active (the rest deactivated by a sync).
INSERT INTO students (organization_id, enrolment_key, meta_id, hemis_id, student_id_number, full_name, first_name,
    second_name, third_name, gender_code, gender_name, birth_date, department_id, department_name, specialty_id,
    specialty_code, specialty_name, group_id, group_name, status_code, status_name, education_form_code,
    education_form_name, education_type_code, education_type_name, payment_form_code, payment_form_name, level_code,
    level_name, semester_code, semester_name, education_year_code, year_of_enter, avg_gpa, raw, is_active,
    synced_at, hemis_updated_at, created_at)
SELECT org, 'm' || n, 'm' || n, 'p' || person, (300000000000 + person)::text,
       surname || ' ' || first || ' ' || patronymic, first, surname, patronymic,
       CASE WHEN h % 2 = 0 THEN '11' ELSE '12' END, CASE WHEN h % 2 = 0 THEN 'Erkak' ELSE 'Ayol' END,
       date '1998-01-01' + (h % 2500), faculty::text, 'Fakultet ' || faculty || ' ' || {_array(SURNAMES)}[1 + faculty],
       'sp' || specialty, '60' || lpad(specialty::text, 5, '0'), 'Mutaxassislik ' || specialty,
       'g' || grp, 'G-' || grp || '-' || (20 + course), status, 'Holat ' || status, form, 'Shakl ' || form,
       CASE WHEN course > 4 THEN '12' ELSE '11' END, 'Bakalavr', CASE WHEN h % 3 = 0 THEN '11' ELSE '12' END,
       'To‘lov', '1' || course, course || '-kurs', (10 + course * 2)::text, (course * 2) || '-semestr', '2024',
       2025 - course, round((2 + (h % 300) / 100.0)::numeric, 2),
       jsonb_build_object('id', person, 'meta_id', n, 'full_name', surname || ' ' || first, 'student_id_number',
                          (300000000000 + person)::text, 'hash', md5(n::text) || md5(person::text) || md5(h::text),
                          'department', jsonb_build_object('id', faculty, 'name', 'Fakultet ' || faculty,
                                                           'structureType', jsonb_build_object('code', '11')),
                          'group', jsonb_build_object('id', grp, 'name', 'G-' || grp), 'address', repeat(md5(n::text), 12)),
       h % 100 >= 5, now() - make_interval(secs => h % 7200), now() - make_interval(days => h % 700), now()
FROM (SELECT n, org, CASE WHEN n % {ENROLLED_TWICE_EVERY} = 1 THEN n - 1 ELSE n END AS person,
             abs(hashtext('h' || n)) AS h, abs(hashtext('f' || n)) % {FACULTIES} AS faculty,
             abs(hashtext('s' || n)) AS s
      FROM (SELECT n, 1 AS org FROM generate_series(1, :students) AS n
            UNION ALL SELECT n, 2 FROM generate_series(:students + 1, :students + :other) AS n) AS numbers) AS base,
LATERAL (SELECT {_array(SURNAMES)}[1 + s % {len(SURNAMES)}] AS surname,
                {_array(FIRST_NAMES)}[1 + (s / 7) % {len(FIRST_NAMES)}] AS first,
                {_array(PATRONYMICS)}[1 + (s / 11) % {len(PATRONYMICS)}] AS patronymic,
                faculty * 10 + h % 10 AS specialty, faculty * 1000 + h % (:groups / {FACULTIES}) AS grp,
                CASE WHEN h % 100 < 85 THEN '11' WHEN h % 100 < 90 THEN '12' WHEN h % 100 < 94 THEN '13' ELSE '14' END
                    AS status,
                CASE WHEN (h / 100) % 10 < 7 THEN '11' WHEN (h / 100) % 10 < 9 THEN '13' ELSE '16' END AS form,
                CASE WHEN (h / 1000) % 50 = 0 THEN 5 + (h / 1000) % 2 ELSE 1 + (h / 1000) % 4 END AS course) AS drawn;

-- Rare values, as real data has them: a new specialty of 100 students, a status of 125.
UPDATE students SET specialty_id = 'sp-new', specialty_name = 'Yangi mutaxassislik' WHERE organization_id = 1 AND id % 5000 = 0;
UPDATE students SET status_code = '15', status_name = 'Kursdan chetlashtirilgan' WHERE organization_id = 1 AND id % 4000 = 7;

INSERT INTO employees (organization_id, meta_id, hemis_id, employee_id_number, full_name, first_name, second_name,
    department_id, department_name, staff_position_code, staff_position_name, employee_status_code,
    employee_status_name, employment_form_code, employment_form_name, raw, is_active, synced_at, created_at)
SELECT 1, 'e' || n, 'w' || CASE WHEN n % 5 = 1 THEN n - 1 ELSE n END, (9000000000 + n)::text,
       {_array(SURNAMES)}[1 + abs(hashtext('e' || n)) % {len(SURNAMES)}] || ' ' || {_array(FIRST_NAMES)}[1 + n % {len(FIRST_NAMES)}],
       {_array(FIRST_NAMES)}[1 + n % {len(FIRST_NAMES)}], 'X', 'k' || (n % 120), 'Kafedra ' || (n % 120), '15', 'Dotsent',
       CASE WHEN n % 20 = 0 THEN '12' ELSE '11' END, 'Ishlamoqda', '11', 'Asosiy',
       jsonb_build_object('id', n, 'hash', repeat(md5(n::text), 10)), n % 50 <> 0, now(), now()
FROM generate_series(1, :employees) AS n;

INSERT INTO hemis_departments (organization_id, hemis_id, code, name, structure_type_code, structure_type_name,
                               parent_id, active, raw, is_active, synced_at, created_at)
SELECT org, n::text, 'F' || n, 'Fakultet ' || n || ' ' || {_array(SURNAMES)}[1 + n], '11', 'Fakultet', NULL, true,
       '{{}}'::jsonb, true, now(), now()
FROM generate_series(0, {FACULTIES} - 1) AS n, (VALUES (1), (2)) AS orgs(org)
UNION ALL
SELECT org, 'k' || n, 'K' || n, 'Kafedra ' || n, '12', 'Kafedra', (n % {FACULTIES})::text, n % 30 <> 0, '{{}}'::jsonb,
       n % 40 <> 0, now(), now()
FROM generate_series(0, 119) AS n, (VALUES (1), (2)) AS orgs(org);
INSERT INTO hemis_specialties (organization_id, hemis_id, code, name, department_id, education_type_code, raw,
                               is_active, synced_at, created_at)
SELECT org, 'sp' || n, '60' || lpad(n::text, 5, '0'), 'Mutaxassislik ' || n, (n / 10)::text, '11', '{{}}'::jsonb, true,
       now(), now()
FROM generate_series(0, {SPECIALTIES} - 1) AS n, (VALUES (1), (2)) AS orgs(org);
INSERT INTO hemis_groups (organization_id, hemis_id, code, name, department_id, specialty_id, curriculum_id,
                          education_form_code, raw, is_active, synced_at, created_at)
SELECT org, 'g' || (f * 1000 + g), NULL, 'G-' || (f * 1000 + g), f::text, 'sp' || (f * 10 + g % 10),
       'c' || (f * 10 + g % 10), '11', '{{}}'::jsonb, true, now(), now()
FROM generate_series(0, {FACULTIES} - 1) AS f, generate_series(0, :groups / {FACULTIES} - 1) AS g,
     (VALUES (1), (2)) AS orgs(org);
INSERT INTO hemis_semesters (organization_id, hemis_id, code, name, curriculum_id, education_year_code, level_code,
                             current, raw, is_active, synced_at, created_at)
SELECT org, 'sem' || c || '-' || s, (10 + s)::text, s || '-semestr', 'c' || c, '2024', (11 + (s - 1) / 2)::text,
       s = 2, '{{}}'::jsonb, true, now(), now()
FROM generate_series(0, {SPECIALTIES} - 1) AS c, generate_series(1, 8) AS s, (VALUES (1), (2)) AS orgs(org)
"""

# (label, path): `{...}` are filled in from the loaded data (`_fillers`).
REQUESTS = (
    ("students (first page)", "/students"),
    ("students limit=500", "/students?limit=500"),
    ("students active=all", "/students?active=all"),
    ("students active=false", "/students?active=false"),
    ("students status=12", "/students?status=12"),
    ("students departmentId", "/students?departmentId=5"),
    ("students groupId", "/students?groupId={group}"),
    ("students specialtyId", "/students?specialtyId={specialty}"),
    ("students specialtyId (100 rows)", "/students?specialtyId=sp-new"),
    ("students status=15 (125 rows)", "/students?status=15"),
    ("students course=2", "/students?course=2"),
    ("students course=5 (rare)", "/students?course=5"),
    ("students educationForm=16", "/students?educationForm=16"),
    ("students updatedSince (all match)", "/students?updatedSince={yesterday}"),
    ("students updatedSince (none match)", "/students?updatedSince={tomorrow}"),
    ("students faculty+course+form", "/students?departmentId=5&course=3&educationForm=13"),
    ("students group+status=14", "/students?groupId={group}&status=14"),
    ("students search surname (karim)", "/students?search=karim"),
    ("students search frequent piece (ova)", "/students?search=ova"),
    ("students search frequent piece (yev)", "/students?search=yev"),
    ("students search rare (full name)", "/students?search={full_name}"),
    ("students search none", "/students?search=qqqzz"),
    ("students search two letters (ov)", "/students?search=ov"),
    ("students search ID number", "/students?search={id_number}"),
    ("students deep cursor (middle)", "/students?cursor={deep}"),
    ("students cursor (last page)", "/students?cursor={last}"),
    ("students/<id>", "/students/{student_id}"),
    ("stats/students", "/stats/students"),
    ("stats/students status=11", "/stats/students?status=11"),
    ("stats/students.xlsx", "/stats/students.xlsx"),
    ("employees", "/employees"),
    ("employees search", "/employees?search=yusup"),
    ("employees departmentId", "/employees?departmentId=k7"),
    ("employees/<id>", "/employees/{employee_id}"),
    ("hemis/departments", "/hemis/departments"),
    ("hemis/departments structureType=11", "/hemis/departments?structureType=11"),
    ("hemis/groups", "/hemis/groups"),
    ("hemis/groups departmentId", "/hemis/groups?departmentId=5&limit=500"),
    ("hemis/groups search", "/hemis/groups?search=G-50"),
    ("hemis/specialties", "/hemis/specialties"),
    ("hemis/semesters current=true", "/hemis/semesters?current=true"),
)
DOWNLOADS = (
    ("students.csv groupId", "/students.csv?groupId={group}"),
    ("students.xlsx groupId", "/students.xlsx?groupId={group}"),
    ("students.csv departmentId", "/students.csv?departmentId=5"),
    ("students.xlsx departmentId", "/students.xlsx?departmentId=5"),
    ("students.csv (every active row)", "/students.csv"),
)


def main() -> int:
    args = parse_args()
    bench_db = prepare("navai_bench_students", reuse=args.reuse, seed=lambda engine: seed(engine, args))
    fillers = _fillers(bench_db.engine)
    print(f"{'reused' if args.reuse else 'loaded'} {fillers['rows']:,} student rows of organization 1 "
          f"({fillers['people']:,} people), {OTHER_STUDENTS:,} of organization 2, {EMPLOYEES:,} employees "
          f"in {bench_db.load_s:.1f} s; the group asked for has {fillers['group_rows']} rows\n")
    app, client, headers = _client(bench_db.database_url, bench_db.redis_url)
    results = [(label, _times(client, path.format(**fillers), headers, args.repeat)) for label, path in REQUESTS]
    print_table(results, args.repeat)
    if not args.no_downloads:
        print()
        print_downloads([(label, *_download(client, path.format(**fillers), headers)) for label, path in DOWNLOADS])
    print(f"\nload average while timing (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    app.extensions["navai"].engine.dispose()
    bench_db.engine.dispose()
    return 0 if all(statistics.median(times) < TARGET_MS for _, times in results) else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=500_000, help="student rows of the large organization")
    parser.add_argument("--groups", type=int, default=900, help="study groups (spread over the faculties)")
    parser.add_argument("--nights", type=int, default=1, help="nightly syncs that rewrite every student row")
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per row (after one warm-up)")
    parser.add_argument("--reuse", action="store_true", help="time the database a previous run loaded (no reload)")
    parser.add_argument("--no-downloads", action="store_true", help="skip timing the CSV and XLSX downloads")
    return parser.parse_args()


def seed(engine: Engine, args: argparse.Namespace) -> float:
    from api.auth.routes import hash_password

    started = time.perf_counter()
    params = {"hash": hash_password(PASSWORD), "students": args.students, "other": OTHER_STUDENTS,
              "groups": args.groups, "employees": EMPLOYEES}
    with engine.begin() as connection:
        for statement in (part.strip() for part in SEED_SQL.split(";\n")):
            if statement:
                connection.execute(text(statement), params)
    for night in range(args.nights):  # what a sync writes on every row it sees (workers.hemis.upsert)
        with engine.begin() as connection:
            connection.execute(text("UPDATE students SET synced_at = now() - make_interval(secs => id % 7200), "
                                    "last_seen_run_id = :run, raw = raw"), {"run": f"bench-night-{night}"})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def _fillers(engine: Engine) -> dict[str, object]:
    """The values the requests ask for, read from the loaded rows: a group, a specialty, a name, an
    ID number, cursors in the middle and at the end of the active list, moments around the sync."""
    from api.directory.cursor import Cursor, encode

    with engine.connect() as connection:
        def one(sql: str) -> object:
            return connection.execute(text(sql)).one()

        rows, people = one("SELECT count(*), count(DISTINCT hemis_id) FROM students WHERE organization_id = 1")
        group, group_rows = one("SELECT group_id, count(*) FROM students WHERE organization_id = 1 "
                                "GROUP BY group_id ORDER BY group_id LIMIT 1")
        specialty, = one("SELECT specialty_id FROM students WHERE organization_id = 1 ORDER BY id LIMIT 1")
        student_id, full_name, id_number = one("SELECT id, full_name, student_id_number FROM students "
                                               "WHERE organization_id = 1 AND id % 16 = 1 ORDER BY id LIMIT 1 OFFSET 1000")
        active = connection.scalar(text("SELECT count(*) FROM students WHERE organization_id = 1 AND is_active"))
        cursors = {}
        for key, offset in (("deep", active // 2), ("last", active - 20)):
            name, row_id = one(f"SELECT full_name, id FROM students WHERE organization_id = 1 AND is_active "
                               f"ORDER BY full_name, id OFFSET {offset} LIMIT 1")
            cursors[key] = encode(Cursor(name, row_id))
        employee_id, = one("SELECT id FROM employees WHERE organization_id = 1 ORDER BY id LIMIT 1 OFFSET 100")
        yesterday, tomorrow = one("SELECT (now() - interval '1 day')::date, (now() + interval '1 day')::date")
    return {"rows": rows, "people": people, "group": group, "group_rows": group_rows, "specialty": specialty,
            "student_id": student_id, "full_name": full_name.replace(" ", "%20"), "id_number": id_number,
            "employee_id": employee_id, "yesterday": yesterday.isoformat(), "tomorrow": tomorrow.isoformat(),
            **cursors}


def _client(database_url: str, redis_url: str):  # type: ignore[no-untyped-def]
    from api import create_app

    settings = Settings(navai_env=ENV_TEST, database_url=database_url, redis_url=redis_url,
                        jwt_secret_key="bench-" + "x" * 26).checked()
    app = create_app(settings)
    client = app.test_client()
    response = client.post("/auth/login", json={"email": "admin@bench.test", "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return app, client, {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _times(client, path: str, headers: dict[str, str], repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    _get(client, path, headers)  # warm-up: connection pool, plan cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        _get(client, path, headers)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _download(client, path: str, headers: dict[str, str]) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    """Seconds, bytes and lines (CSV) of one download, read to its end."""
    started = time.perf_counter()
    body = _get(client, path, headers)
    return time.perf_counter() - started, len(body), body.count(b"\n") - 1 if path.split("?")[0].endswith(".csv") else 0


def _get(client, path: str, headers: dict[str, str]) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code} {response.get_data(as_text=True)[:300]}")
    return response.get_data()


def print_table(results: list[tuple[str, list[float]]], repeat: int) -> None:
    print(f"{'request':<38} {'median ms':>10} {'max ms':>8} {'target':>7}  ({repeat} runs each)")
    for label, times in results:
        verdict = "ok" if statistics.median(times) < TARGET_MS else "SLOW"
        print(f"{label:<38} {statistics.median(times):>10.1f} {max(times):>8.1f} {TARGET_MS:>7}  {verdict}")


def print_downloads(results: list[tuple[str, float, int, int]]) -> None:
    print(f"{'download (once)':<38} {'seconds':>10} {'MB':>8} {'CSV rows':>9}")
    for label, seconds, size, lines in results:
        print(f"{label:<38} {seconds:>10.2f} {size / 1e6:>8.1f} {lines or '':>9}")


if __name__ == "__main__":
    sys.exit(main())
