"""A real PgBouncer in `pool_mode = transaction` for the tests: Debian's binary, on a private port,
with its configuration, log and pid file in a directory of its own (the package's service is
never used).

The pool is deliberately small (`SERVER_POOL_SIZE` server connections for many clients): every
transaction of a client may then run on another server connection than its previous one, which is
what makes session state left behind visible. `session_residue` looks for such state on every
server connection of the pool.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
from sqlalchemy.engine import make_url

from tests.support.services import free_port

PGBOUNCER_BINARY = "/usr/sbin/pgbouncer"
SERVER_POOL_SIZE = 2
MAX_CLIENTS = 100
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
ADMIN_DATABASE = "pgbouncer"
# PgBouncer refuses to run as root; it then switches to this user (`-u`).
UNPRIVILEGED_USER = "nobody"
# Parameters PgBouncer itself keeps in step on each server connection for its client (with `SET`),
# so they are session settings by design, not state our code left behind.
PGBOUNCER_TRACKED = ("application_name", "client_encoding", "DateStyle", "TimeZone", "standard_conforming_strings")

# What a transaction may not leave on its server connection behind a transaction pooler.
RESIDUE_QUERY = """
SELECT pg_backend_pid() AS pid,
  (SELECT coalesce(array_agg(name ORDER BY name), '{}') FROM pg_settings
    WHERE source = 'session' AND name <> ALL(%(tracked)s)) AS session_settings,
  (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS advisory_locks,
  (SELECT count(*) FROM pg_listening_channels()) AS listening_channels,
  (SELECT count(*) FROM pg_prepared_statements) AS prepared_statements,
  (SELECT count(*) FROM pg_cursors) AS open_cursors,
  (SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema()) AS temporary_relations
"""


def pgbouncer_installed() -> bool:
    return os.access(PGBOUNCER_BINARY, os.X_OK)


@dataclass
class PgBouncer:
    """A running PgBouncer in front of the database of `server_url`."""

    server_url: str
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """`server_url` through PgBouncer: the same user and database, PgBouncer's address."""
        return make_url(self.server_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    @property
    def database(self) -> str:
        return str(make_url(self.server_url).database)

    def connect(self, database: str | None = None) -> psycopg2.extensions.connection:
        """A plain driver connection through PgBouncer (to the test database, or the admin console)."""
        server = make_url(self.server_url)
        return psycopg2.connect(host="127.0.0.1", port=self.port, dbname=database or self.database,
                                user=server.username, password=server.password or "")

    def show(self, what: str) -> list[dict[str, Any]]:
        """`SHOW <what>` on the admin console (POOLS, STATS, CLIENTS, SERVERS, CONFIG...), as dicts."""
        connection = self.connect(ADMIN_DATABASE)
        connection.autocommit = True  # the console knows no transactions
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SHOW {what}")
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row)) for row in cursor.fetchall()]
        finally:
            connection.close()

    def of_database(self, what: str) -> list[dict[str, Any]]:
        """The rows of `SHOW <what>` that concern the test database (not the admin console)."""
        return [row for row in self.show(what) if row.get("database") == self.database]

    def stats(self) -> dict[str, Any]:
        rows = self.of_database("STATS")
        assert len(rows) == 1, rows
        return rows[0]

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "safe shutdown": clients done, then exit
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_pgbouncer(server_url: str, pool_size: int = SERVER_POOL_SIZE) -> PgBouncer:
    """Start PgBouncer (transaction pooling, `pool_size` server connections) in front of the database
    of `server_url` (trust authentication, as the test server's), and wait until it answers."""
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    port = free_port()
    (directory / "pgbouncer.ini").write_text(_config(server_url, directory, port, pool_size))
    (directory / "userlist.txt").write_text(f'"{make_url(server_url).username}" ""\n')
    command = [PGBOUNCER_BINARY, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        account = pwd.getpwnam(UNPRIVILEGED_USER)
        for path in (directory, *directory.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
        command[1:1] = ["-u", UNPRIVILEGED_USER]
    with (directory / "stdout.log").open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    bouncer = PgBouncer(server_url=server_url, port=port, directory=directory, process=process)
    _wait_until_up(bouncer)
    return bouncer


def _config(server_url: str, directory: Path, port: int, pool_size: int) -> str:
    server = make_url(server_url)
    password = f" password={server.password}" if server.password else ""
    return f"""[databases]
{server.database} = host={server.host or '127.0.0.1'} port={server.port or 5432} dbname={server.database} \
user={server.username}{password}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / 'userlist.txt'}
admin_users = {server.username}
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = {MAX_CLIENTS}
logfile = {directory / 'pgbouncer.log'}
pidfile = {directory / 'pgbouncer.pid'}
"""


def _wait_until_up(bouncer: PgBouncer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if bouncer.process.poll() is not None:
            output = (bouncer.directory / "stdout.log").read_text(errors="replace")
            bouncer.stop()
            raise RuntimeError(f"pgbouncer exited at start:\n{output}")
        try:
            bouncer.show("VERSION")
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                bouncer.stop()
                raise
            time.sleep(0.05)


@contextmanager
def every_server_connection(bouncer: PgBouncer, pool_size: int = SERVER_POOL_SIZE) -> Iterator[list[Any]]:
    """`pool_size` cursors, each in an open transaction through PgBouncer: together they hold every
    server connection of the pool, one each (a transaction keeps its server connection to itself)."""
    with ExitStack() as stack:
        cursors = []
        for _ in range(pool_size):
            connection = bouncer.connect()
            stack.callback(connection.close)
            stack.callback(connection.rollback)
            cursors.append(stack.enter_context(connection.cursor()))
            cursors[-1].execute("SELECT 1")  # begins the transaction: this server connection is now held
        yield cursors


def session_residue(bouncer: PgBouncer, pool_size: int = SERVER_POOL_SIZE) -> dict[int, dict[str, Any]]:
    """What each server connection of the pool carries over from earlier transactions, by backend
    pid: session settings, advisory locks, LISTEN channels, prepared statements, open cursors,
    temporary relations. Only what is present is reported: {pid: {}} means a clean connection."""
    found: dict[int, dict[str, Any]] = {}
    with every_server_connection(bouncer, pool_size) as cursors:
        for cursor in cursors:
            cursor.execute(RESIDUE_QUERY, {"tracked": list(PGBOUNCER_TRACKED)})
            names = [column.name for column in cursor.description]
            row = dict(zip(names, cursor.fetchone()))
            pid = row.pop("pid")
            found[pid] = {name: value for name, value in row.items() if value}
    return found
