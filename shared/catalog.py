"""The platform's task catalogue: every queue, every task name and where it goes.

One home for these names. The API, beat and the workers publish tasks by these names (the API
never imports a task module), `celeryconfig.py` routes them from here, and the process list
(`Procfile`, `docker-compose.yml`, `make run`) consumes exactly `WORKER_QUEUES` (a test holds
them to it).

Queues: `hemis` (HEMIS pages), `sipuni` (exports, step-2 coordinators), `recordings` (one task
per call), `ai` (transcription and scoring): the four queues of the platform contract. Every
worker also consumes `HOUSEKEEPING_QUEUE` (the recovery sweep), whatever `-Q` it was started with
(`workers.factory` adds it), so crash recovery never depends on how a host's queues were chosen.
"""

from __future__ import annotations

QUEUE_HEMIS = "hemis"
QUEUE_SIPUNI = "sipuni"
QUEUE_RECORDINGS = "recordings"
QUEUE_AI = "ai"
HOUSEKEEPING_QUEUE = "default"
WORKER_QUEUES = (QUEUE_HEMIS, QUEUE_SIPUNI, QUEUE_RECORDINGS, QUEUE_AI)
QUEUES = (HOUSEKEEPING_QUEUE, *WORKER_QUEUES)

# HEMIS (queue hemis)
HEMIS_START_RUN = "hemis.start_run"
HEMIS_PUBLISH_PAGES = "hemis.publish_pages"
HEMIS_SYNC_PAGE = "hemis.sync_page"
HEMIS_SYNC_ONE = "hemis.sync_one"
HEMIS_NIGHTLY_SYNC = "hemis.nightly_sync"
HEMIS_SCHEDULED_SYNCS = "hemis.scheduled_syncs"
# Sipuni (queues sipuni and recordings)
SIPUNI_FETCH_CSV = "sipuni.fetch_csv"
SIPUNI_PROCESS_CSV = "sipuni.process_csv"
SIPUNI_FAN_OUT_CALLS = "sipuni.fan_out_calls"
SIPUNI_FINALIZE_STEP2 = "sipuni.finalize_step2"
SIPUNI_SCHEDULED_SYNCS = "sipuni.scheduled_syncs"
RECORDINGS_PROCESS_CALL = "recordings.process_call"
# AI (queue ai)
AI_PROCESS_CALL = "ai.process_call"
AI_TRANSCRIBE = "ai.transcribe"
AI_ANALYZE = "ai.analyze"
# Housekeeping (every worker)
RECOVERY_SWEEP = "recovery.sweep"
SYSTEM_ECHO = "system.echo"

# A task goes to the queue named by the prefix of its name.
TASK_ROUTES = {
    "hemis.*": {"queue": QUEUE_HEMIS},
    "sipuni.*": {"queue": QUEUE_SIPUNI},
    "recordings.*": {"queue": QUEUE_RECORDINGS},
    "ai.*": {"queue": QUEUE_AI},
    "recovery.*": {"queue": HOUSEKEEPING_QUEUE},
    "system.*": {"queue": HOUSEKEEPING_QUEUE},
}

# Message priorities (kombu's Redis transport serves 0 first): recovered units go before a backlog.
NORMAL_PRIORITY = 3
RECOVERY_PRIORITY = 0
# How long Celery keeps a task's result (and we remember the task's owner a bit longer).
RESULT_EXPIRES_S = 24 * 3600


def queue_of(task_name: str) -> str:
    """The queue `task_name` is routed to."""
    for pattern, route in TASK_ROUTES.items():
        if task_name.startswith(pattern[:-1]):
            return route["queue"]
    return HOUSEKEEPING_QUEUE
