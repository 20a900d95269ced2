"""`python -m floorplan_support.traced_worker <celery arguments>`: the project's own Celery worker
(`celery -A workers worker ...`, run from the checkout), with every task traced.

Celery's `task_prerun` installs a `WalkRecorder` (sys.setprofile) in the thread that runs the task
and `task_postrun` removes it; with `-P solo` that is the worker's main thread, so the hook sees
the whole task. Each task appends two JSON lines to $FLOORPLAN_TRACE_FILE: `{"type": "start"}`
when it starts (so the driver knows what is still running) and `{"type": "task", ...}` with its
walk when it ends. The project's code is not changed: only signals are connected.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from celery import signals

from floorplan_support.tracer import WalkRecorder

TRACE_FILE_ENV = "FLOORPLAN_TRACE_FILE"


class TaskTracer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._recorders: dict[str, WalkRecorder] = {}
        self._lock = threading.Lock()

    def connect(self) -> None:
        # Connected before the project's app is loaded, so our prerun receiver runs first and the
        # project's own prerun receivers (log context...) are traced as part of the task.
        signals.task_prerun.connect(self.on_prerun, weak=False)
        signals.task_postrun.connect(self.on_postrun, weak=False)

    def on_prerun(self, task_id: str | None = None, task: Any = None, **_: Any) -> None:
        # Our postrun receiver moves to the end of the list, so the project's postrun receivers
        # (connected when the app was built, or later) still run under the tracer.
        signals.task_postrun.disconnect(self.on_postrun)
        signals.task_postrun.connect(self.on_postrun, weak=False)
        name = getattr(task, "name", "?")
        self._append({"type": "start", "task": name, "id": task_id, "start": time.time()})
        recorder = WalkRecorder(label=name)
        self._recorders[str(task_id)] = recorder
        recorder.start()

    def on_postrun(self, task_id: str | None = None, task: Any = None, args: Any = None, kwargs: Any = None,
                   state: str | None = None, **_: Any) -> None:
        recorder = self._recorders.pop(str(task_id), None)
        if recorder is None:
            return
        recorder.stop()
        self._append(recorder.as_record(type="task", task=getattr(task, "name", "?"), id=task_id, state=state,
                                        args=args, kwargs=kwargs))

    def _append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=repr)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def main() -> None:
    TaskTracer(Path(os.environ[TRACE_FILE_ENV])).connect()
    from celery.bin.celery import celery

    # What `celery` itself runs (celery.__main__), with its own program name in messages.
    sys.exit(celery.main(args=sys.argv[1:], prog_name="celery", auto_envvar_prefix="CELERY"))


if __name__ == "__main__":
    main()
