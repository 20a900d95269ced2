"""A `sys.setprofile` hook that records which project modules a stretch of code walks through.

Per traced stretch (one task, one request) it keeps:
- `calls`: project-function call events per module (a generator resuming is a call event too);
- `entries`: the module of the executing project frame each time it changes, in order: on a call
  into a project frame and on a return into one (library frames in between leave it unchanged).

A module is attributed from `frame.f_globals["__name__"]`, so a function counts for the module
that defines it, whatever calls it. Import-time execution (a module body, and all it calls while
it runs) is not recorded: a lazy import in the first task of a process is not part of any walk.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

PROJECT_PACKAGES = ("api", "workers", "shared")
PROJECT_MODULES = ("celeryconfig",)
MODULE_BODY = "<module>"


def is_project_module(name: str | None) -> bool:
    """api/, workers/, shared/ and celeryconfig; not simulators, tests, bench or site-packages."""
    if not name:
        return False
    return name in PROJECT_MODULES or name.split(".", 1)[0] in PROJECT_PACKAGES


@dataclass
class WalkRecorder:
    """Install with `start()`, remove with `stop()`, in the thread to be traced."""

    label: str
    started_at: float = 0.0  # wall clock (time.time()): tasks of another process sort with it
    ended_at: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    entries: list[str] = field(default_factory=list)
    _current: str | None = None
    _import_depth: int = 0
    _is_project: dict[str, bool] = field(default_factory=dict)

    def start(self) -> None:
        self.started_at = time.time()
        sys.setprofile(self._profile)

    def stop(self) -> None:
        sys.setprofile(None)
        self.ended_at = time.time()

    def as_record(self, **extra: Any) -> dict[str, Any]:
        return {"label": self.label, "start": self.started_at, "end": self.ended_at,
                "calls": dict(self.calls), "entries": self.entries, **extra}

    def _project(self, name: str | None) -> bool:
        # Cached: the hook runs on every Python call and return of the traced thread.
        if name is None:
            return False
        known = self._is_project.get(name)
        if known is None:
            known = self._is_project[name] = is_project_module(name)
        return known

    def _profile(self, frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            self._on_call(frame)
        elif event == "return":
            self._on_return(frame)

    def _on_call(self, frame: FrameType) -> None:
        if frame.f_code.co_name == MODULE_BODY:
            self._import_depth += 1
            return
        if self._import_depth:
            return
        module = frame.f_globals.get("__name__")
        if self._project(module):
            self.calls[module] += 1
            self._enter(module)

    def _on_return(self, frame: FrameType) -> None:
        if frame.f_code.co_name == MODULE_BODY:
            self._import_depth = max(0, self._import_depth - 1)
            return
        if self._import_depth:
            return
        caller = frame.f_back
        if caller is None:
            return
        module = caller.f_globals.get("__name__")
        if self._project(module):
            self._enter(module)

    def _enter(self, module: str) -> None:
        if module != self._current:
            self._current = module
            self.entries.append(module)
