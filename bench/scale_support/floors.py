"""The floors: the least a single process can do for the same work, written plainly in the bench.

Their CPU (time.process_time of this process) per 1,000 units is the figure the project's worker CPU
is compared with: `project CPU / floor CPU` says how close to the limit the system is. A floor skips
what the project does besides (leases, progress, the end-of-run count check and deactivation, the
call log, retries), so the ratio is an upper bound of the project's overhead, not an error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg2
import requests
from psycopg2.extras import Json, execute_values

from sqlalchemy import select

from bench.university import BENCH_UNIVERSITY
from shared.db import make_engine
from shared.models import Organization, Student, utcnow
from workers.hemis.mapping import student_row
from workers.hemis.pg_upsert import upsert_page
from workers.sipuni.csv_parser import call_from_row, iter_file
from workers.sipuni.signing import signed

HTTP_TIMEOUT_S = 60
STUDENT_KEY = "enrolment_key"  # the students' conflict key (one row per enrolment)
DOWNLOAD_CHUNK_BYTES = 64 * 1024
CALL_BATCH_ROWS = 500
AUDIO_MARKERS = (b"\xff", b"ID3", b"RIFF", b"OggS")


def psycopg2_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg2://", "postgresql://")


def hemis_floor_cpu_s(database_url: str, api_url: str, token: str, page_size: int) -> tuple[float, int]:
    """Every student page in turn on one keep-alive connection, decoded with orjson and mapped as
    the workers map it, written with the workers' own one-statement page upsert (one JSON parameter
    expanded by PostgreSQL) and one commit per page: the fastest primitives the project has, with
    none of its task system around them. Returns (CPU seconds of this process, records written)."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE students")
        # The organization the system's run synced for (`bench.university`), made by that run.
        organization_id = connection.scalar(select(Organization.id).where(Organization.name == BENCH_UNIVERSITY))
    http = requests.Session()
    written = 0
    started_cpu = time.process_time()
    for items in _student_pages(http, api_url, token, page_size):
        rows = _distinct_by_key([_stored_student(item, organization_id) for item in items])
        with engine.begin() as connection:
            upsert_page(connection, Student.__table__, STUDENT_KEY, rows, marks_run=True)
        written += len(rows)
    cpu_s = time.process_time() - started_cpu
    engine.dispose()
    return cpu_s, written


def _student_pages(http: requests.Session, api_url: str, token: str, page_size: int) -> Iterator[list[dict]]:
    url = f"{api_url}/rest/v1/data/student-list"
    headers = {"Authorization": f"Bearer {token}"}
    page, page_count = 1, 1
    while page <= page_count:
        body = orjson.loads(http.get(url, params={"page": page, "limit": page_size, "_student_status": -1},
                                     headers=headers, timeout=HTTP_TIMEOUT_S).content)
        page_count = body["data"]["pagination"]["pageCount"]
        yield body["data"]["items"]
        page += 1


def _stored_student(item: dict, organization_id: int) -> dict:
    now = utcnow()
    return {**student_row(item), "organization_id": organization_id, "is_active": True, "synced_at": now,
            "created_at": now, "last_seen_run_id": "floor", "deactivated_by_run_id": None}


def _distinct_by_key(rows: list[dict]) -> list[dict]:
    """One row per key (a statement may not update the same row twice), the last one winning."""
    return list({row[STUDENT_KEY]: row for row in rows}.values())


def sipuni_floor_cpu_s(database_url: str, api_url: str, user: str, secret: str, csv_file: Path,
                       organization_id: int, employees_by_ext: dict[str, int], out_dir: Path,
                       limit: int) -> tuple[float, int]:
    """The first `limit` rows of the exported CSV parsed as the workers parse them; for each call of
    a known employee, its recording streamed to a file on one keep-alive connection; stored calls
    written with one multi-row insert per 500. Returns (CPU seconds of this process, rows done)."""
    connection = psycopg2.connect(psycopg2_dsn(database_url))
    cursor = connection.cursor()
    http = requests.Session()
    out_dir.mkdir(parents=True, exist_ok=True)
    batch: list[tuple] = []
    rows = 0
    started_cpu = time.process_time()
    for row in iter_file(csv_file):
        if rows == limit:
            break
        rows += 1
        call = call_from_row(row)
        employee_id = employees_by_ext.get(call.employee_ext or "")
        if employee_id is None:
            continue
        stored = _download(http, api_url, user, secret, call.record_id, out_dir)
        if stored is not None:
            batch.append((organization_id, employee_id, call.record_id, call.started_at, str(stored[0]), stored[1],
                          Json(call.raw), "pending", utcnow(), utcnow()))
        if len(batch) >= CALL_BATCH_ROWS:
            _insert_calls(cursor, batch)
            connection.commit()
            batch = []
    _insert_calls(cursor, batch)
    connection.commit()
    cpu_s = time.process_time() - started_cpu
    connection.close()
    return cpu_s, rows


def _download(http: requests.Session, api_url: str, user: str, secret: str, record_id: str,
              out_dir: Path) -> tuple[Path, int] | None:
    response = http.post(f"{api_url}/statistic/record", data=signed({"id": record_id, "user": user}, secret),
                         timeout=HTTP_TIMEOUT_S, stream=True)
    with response:
        chunks = response.iter_content(DOWNLOAD_CHUNK_BYTES)
        first = next(chunks, b"")
        if response.status_code != 200 or not first.startswith(AUDIO_MARKERS):
            return None
        path = out_dir / f"{record_id}.mp3"
        size = len(first)
        with path.open("wb") as out:
            out.write(first)
            for chunk in chunks:
                out.write(chunk)
                size += len(chunk)
    return path, size


def _insert_calls(cursor, batch: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    if batch:
        execute_values(cursor, "INSERT INTO calls (organization_id, employee_id, external_id, started_at, "
                               "recording_path, recording_size, raw, ai_status, created_at, updated_at) VALUES %s "
                               "ON CONFLICT (organization_id, external_id) DO NOTHING", batch)
