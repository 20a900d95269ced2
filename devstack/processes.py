"""Run several named processes together, prefix their output, stop them all as one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

STOP_GRACE_S = 10.0


@dataclass
class ProcessGroup:
    cwd: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], extra_env: dict[str, str] | None = None) -> None:
        process = subprocess.Popen(command, cwd=self.cwd, env={**self.env, **(extra_env or {})},
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self._watch(name, process)

    def start_shell(self, name: str, command_line: str) -> None:
        """Run a Procfile line through the shell, as every Procfile runner does (it expands
        `${PORT:-3000}`); its own session, so stopping it stops the shell's children too."""
        process = subprocess.Popen(command_line, shell=True, cwd=self.cwd, env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self._watch(name, process)

    def _watch(self, name: str, process: subprocess.Popen[bytes]) -> None:
        self.processes[name] = process
        threading.Thread(target=_relay, args=(name, process), daemon=True).start()

    def adopt(self, name: str, process: subprocess.Popen[bytes]) -> None:
        self.processes[name] = process

    def first_exited(self) -> str | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def stop_all(self) -> None:
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _relay(name: str, process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    for line in iter(process.stdout.readline, b""):
        sys.stdout.write(f"{name:>8} | {line.decode(errors='replace')}")
        sys.stdout.flush()
