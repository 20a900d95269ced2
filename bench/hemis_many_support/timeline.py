"""What the bench samples while the race goes: the machine's CPU, the workers' CPU, and where the
page tasks are (waiting in the broker's queue, or delivered and held by a worker: running, or
waiting for their countdown). Written as a CSV next to the workers' logs; its peaks are printed."""

from __future__ import annotations

import csv
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bench.scale_support.meters import groups_cpu_s
from shared.broker import queue_lengths

SAMPLE_EVERY_S = 1.0
KOMBU_UNACKED_KEY = "unacked"  # kombu's Redis transport: messages delivered to a worker, not yet acked


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of every CPU since boot, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of all CPUs' time spent busy between two readings (0..1)."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


@dataclass
class Sample:
    t_s: float
    queued: int
    held: int
    machine_busy: float
    workers_cpu_per_s: float
    load_1m: float


@dataclass
class Timeline:
    """Samples every SAMPLE_EVERY_S while the block runs (a daemon thread)."""

    client: redis.Redis
    queue: str
    worker_groups: set[int]
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Timeline:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        began = time.monotonic()
        ticks, cpu_s = machine_busy_ticks(), groups_cpu_s(self.worker_groups)
        while not self._stop.wait(SAMPLE_EVERY_S):
            now_ticks, now_cpu_s = machine_busy_ticks(), groups_cpu_s(self.worker_groups)
            self.samples.append(Sample(
                t_s=time.monotonic() - began,
                queued=queue_lengths(self.client, [self.queue])[self.queue],
                held=int(self.client.hlen(KOMBU_UNACKED_KEY)),
                machine_busy=busy_share(ticks, now_ticks),
                workers_cpu_per_s=(now_cpu_s - cpu_s) / SAMPLE_EVERY_S,
                load_1m=os.getloadavg()[0]))
            ticks, cpu_s = now_ticks, now_cpu_s

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["t_s", "queued", "held", "machine_busy", "workers_cpu_per_s", "load_1m"])
            for s in self.samples:
                writer.writerow([f"{s.t_s:.1f}", s.queued, s.held, f"{s.machine_busy:.2f}",
                                 f"{s.workers_cpu_per_s:.2f}", f"{s.load_1m:.2f}"])

    def busiest(self, seconds: int) -> float:
        """The workers' mean CPU (cores) over the busiest `seconds` in a row."""
        values = [s.workers_cpu_per_s for s in self.samples]
        if len(values) <= seconds:
            return sum(values) / len(values) if values else 0.0
        return max(sum(values[i:i + seconds]) / seconds for i in range(len(values) - seconds + 1))
