"""One heartbeat thread per process renews the lease of every unit its tasks are running.

Before, each task started (and joined) a thread of its own: a few hundred microseconds of CPU per
task, a measurable share of a HEMIS page (hundreds of pages a second across a deployment). A
prefork pool process runs one task at a time, so the thread renews one lease at most; a threads
pool shares it among all of its tasks. The thread is started on first use in each process (a
thread does not survive a fork), and a killed process stops renewing, which is what the sweeper
watches for.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from shared.leases.store import LeaseStore

log = logging.getLogger("workers.recovery")

HEARTBEATS_PER_LEASE = 3  # renew three times per lease period: one missed beat is harmless
MIN_BEAT_INTERVAL_S = 0.2


@dataclass(frozen=True)
class _Beating:
    store: LeaseStore
    kind: str
    unit: str
    token: str


class Heartbeats:
    """The units this process is running, renewed every `lease_s / HEARTBEATS_PER_LEASE`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._beating: dict[str, _Beating] = {}  # by token
        self._interval_s = MIN_BEAT_INTERVAL_S
        self._pid: int | None = None

    @contextmanager
    def beating(self, store: LeaseStore, kind: str, unit: str, token: str) -> Iterator[None]:
        """Renew the unit's lease until the block ends."""
        with self._lock:
            self._beating[token] = _Beating(store, kind, unit, token)
            self._interval_s = max(MIN_BEAT_INTERVAL_S, store.lease_s / HEARTBEATS_PER_LEASE)
            self._ensure_thread()
        try:
            yield
        finally:
            with self._lock:
                self._beating.pop(token, None)

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        threading.Thread(target=self._run, name="navai-lease-heartbeats", daemon=True).start()

    def _run(self) -> None:
        """A unit registered during a wait is renewed at its end: within one interval of its claim."""
        while True:
            time.sleep(self._interval_s)
            with self._lock:
                current = list(self._beating.values())
            for beating in current:
                self._renew(beating)

    def _renew(self, beating: _Beating) -> None:
        with self._lock:
            if beating.token not in self._beating:
                return  # ended meanwhile: never renew a lease that was released
        try:
            if not beating.store.beat(beating.kind, beating.unit, beating.token):
                log.warning("%s %s: the unit was handed to another message; this copy goes on unleased",
                            beating.kind, beating.unit)
                with self._lock:
                    self._beating.pop(beating.token, None)
        except redis.RedisError:
            pass  # Redis away for a moment: a missed beat at worst publishes the unit once more


HEARTBEATS = Heartbeats()
