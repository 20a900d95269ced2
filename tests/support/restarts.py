"""Restarting what the tests must not touch on the machine: a private `redis-server` (AOF on, its own
port and directory), and "PostgreSQL" as seen by one database (connections refused, every backend
of it terminated)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.services import free_port

REDIS_START_TIMEOUT_S = 20.0


class PrivateRedis:
    """`redis-server --appendonly yes --appendfsync everysec` on a free port, as compose runs it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                   "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                assert time.monotonic() < deadline, "the private redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: Redis writes its AOF out and exits, as on `docker compose restart redis`."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)

    def restart(self, *, empty: bool = False, down_s: float = 1.0) -> None:
        self.stop()
        if empty:  # the volume lost: Redis comes back with nothing
            shutil.rmtree(self.directory, ignore_errors=True)
        time.sleep(down_s)
        self.start()


@contextmanager
def database_away(database_url: str) -> Iterator[None]:
    """While the block runs, the database refuses connections and every existing one is cut, as
    while PostgreSQL restarts; only this database, not the machine's server."""
    parsed = make_url(database_url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = parsed.database
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
