"""Waiting helpers of the cancel tests: a condition that becomes true, a count that stops growing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
POLL_S = 0.1


def eventually(read: Callable[[], T], done: Callable[[T], bool], timeout_s: float = 60.0, what: str = "") -> T:
    """Poll `read()` until `done(value)`; the last value is in the failure message."""
    deadline = time.monotonic() + timeout_s
    value = read()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not reached within {timeout_s}s: {value!r}")
        time.sleep(POLL_S)
        value = read()
    return value


def settled_count(read: Callable[[], int], quiet_s: float, timeout_s: float = 60.0) -> int:
    """`read()` once it has not changed for `quiet_s` (work in flight has finished)."""
    deadline = time.monotonic() + timeout_s
    value, since = read(), time.monotonic()
    while time.monotonic() - since < quiet_s:
        if time.monotonic() > deadline:
            raise AssertionError(f"the count kept changing for {timeout_s}s: {value}")
        time.sleep(POLL_S)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
    return value
