"""Figures that noise does not move: CPU seconds of process groups, peak RSS per process, Redis
commands and memory of a private server (PgBouncer's SHOW STATS counts the SQL statements)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import redis

CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
RSS_SAMPLE_EVERY_S = 0.5


def _group_stats(groups: set[int]) -> Iterable[tuple[int, list[str]]]:
    """(pid, /proc/<pid>/stat fields after the name) of every live process in the process groups."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) in groups:  # state, ppid, pgrp, ...
            yield int(entry.name), fields


def groups_cpu_s(groups: set[int]) -> float:
    """User + system CPU seconds of every live process in the groups (a worker runs in its own
    session, so its pool children share its group)."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _pid, fields in _group_stats(groups))
    return ticks / CLOCK_TICKS_PER_S


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRss:
    """The highest VmHWM (peak resident set) of any one process of the groups, sampled while the
    run goes on, so pool children that are replaced are seen too."""

    def __init__(self, groups: set[int]) -> None:
        self.groups = groups
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:  # noqa: PYI034
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read()

    def _read(self) -> None:
        for pid, _fields in _group_stats(self.groups):
            self.peak_kb = max(self.peak_kb, _vm_hwm_kb(pid))

    def _sample(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_EVERY_S):
            self._read()


@dataclass(frozen=True)
class RedisReading:
    commands: int
    peak_memory_bytes: int


def read_redis(url: str) -> RedisReading:
    """Commands the server has processed since it started, and its peak memory (a private server
    per measurement, so both belong to one run)."""
    info = redis.Redis.from_url(url).info()
    return RedisReading(commands=int(info["total_commands_processed"]),
                        peak_memory_bytes=int(info["used_memory_peak"]))
