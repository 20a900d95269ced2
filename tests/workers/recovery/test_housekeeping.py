"""Every worker consumes the housekeeping queue (the recovery sweep), whatever its `-Q`: a host
started with only the platform's four queues still sweeps."""

from __future__ import annotations

from shared.catalog import HOUSEKEEPING_QUEUE, WORKER_QUEUES

INSPECT_TIMEOUT_S = 5.0


def test_a_worker_of_the_four_platform_queues_also_consumes_housekeeping(settings, celery_app, extra_workers):
    worker = extra_workers("four-queues", queues=",".join(WORKER_QUEUES), concurrency=1)
    replies = celery_app.control.inspect([worker.name], timeout=INSPECT_TIMEOUT_S).active_queues() or {}
    consumed = {queue["name"] for queue in replies.get(worker.name, [])}
    assert consumed == {HOUSEKEEPING_QUEUE, *WORKER_QUEUES}
