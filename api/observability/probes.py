"""Health probes that cost the same at any request rate and never make a request wait long.

Each component's check runs in a thread of a small pool, one at a time per component and process:
the requests that arrive while it runs share its answer instead of starting their own, so a flood
of `GET /health` costs the database and Redis one check at a time per API process. A check is given
`timeout_s` from its start; a request still waiting then gets `{"ok": false, "error": "Timeout"}`,
and the requests that come while that check is still stuck answer at once the same way (no request
waits on a check older than `timeout_s`). Its thread finishes on its own (each client has its own
timeouts); the next request after that starts a fresh check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

Check = Callable[[], dict[str, Any]]
TIMED_OUT = "Timeout"


@dataclass(frozen=True)
class _Running:
    future: Future[dict[str, Any]]
    started_s: float  # time.monotonic()


class Probes:
    """Run named checks, each shared by concurrent callers and bounded by `timeout_s` from its start."""

    def __init__(self, timeout_s: float, component_count: int) -> None:
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._running: dict[str, _Running] = {}
        # One thread per component: a stuck check of one never delays another's.
        self._pool = ThreadPoolExecutor(max_workers=component_count, thread_name_prefix="navai-health")

    def run(self, checks: Mapping[str, Check]) -> dict[str, dict[str, Any]]:
        """Every check's answer (started now, or joined while running), in the order given."""
        running = {name: self._start(name, check) for name, check in checks.items()}
        return {name: self._answer(entry) for name, entry in running.items()}

    def _start(self, name: str, check: Check) -> _Running:
        with self._lock:
            entry = self._running.get(name)
            if entry is None or entry.future.done():
                entry = self._running[name] = _Running(self._pool.submit(_guarded, check), time.monotonic())
            return entry

    def _answer(self, entry: _Running) -> dict[str, Any]:
        left_s = entry.started_s + self.timeout_s - time.monotonic()
        try:
            return dict(entry.future.result(timeout=max(0.0, left_s)))
        except FutureTimeout:
            return {"ok": False, "error": TIMED_OUT}


def _guarded(check: Check) -> dict[str, Any]:
    """Any failure means "down"; its type is enough for an operator and names no host."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - whatever the failure, the component is down
        return {"ok": False, "error": type(exc).__name__}
