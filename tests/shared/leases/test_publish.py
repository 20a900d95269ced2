"""Publishing is explicit: `publish_leased` leases a unit before the broker sees its message,
`publish` refuses a leased unit's task, and Celery's own `send_task` leases nothing behind anyone's back."""

from __future__ import annotations

import pytest

from shared import catalog
from shared.broker import queue_lengths
from shared.leases.publish import LeasedTaskPublishedPlainly, NotALeasedTask, publish, publish_leased
from shared.leases.store import QUEUED
from shared.units import hemis_sync_page

# Messages go to a queue no worker consumes, so that a worker of the test session cannot take them.
PRIVATE_QUEUE = "test-publish"


@pytest.fixture
def svc(settings, celery_app):  # type: ignore[no-untyped-def]
    return celery_app.navai_services


def test_a_leased_unit_is_leased_under_its_task_id_with_what_republishes_it(svc, redis_client):
    task_id = publish_leased(svc, catalog.HEMIS_SYNC_PAGE, args=["students", "run-1", 7], countdown=30,
                             queue=PRIVATE_QUEUE)
    unit = hemis_sync_page("students", "run-1", 7)
    lease = svc.leases.get(unit.kind, unit.name)
    assert lease is not None and lease.token == task_id and lease.state == QUEUED and lease.eta > 0
    spec = svc.leases.spec(unit.kind, unit.name)
    assert (spec.task, spec.args, spec.queue) == (catalog.HEMIS_SYNC_PAGE, ["students", "run-1", 7], catalog.QUEUE_HEMIS)
    assert queue_lengths(redis_client, [PRIVATE_QUEUE])[PRIVATE_QUEUE] == 1  # the worker keeps the countdown


def test_the_two_calls_refuse_each_others_tasks(svc):
    with pytest.raises(LeasedTaskPublishedPlainly):
        publish(svc, catalog.HEMIS_SYNC_PAGE, args=["students", "run-1", 7])
    with pytest.raises(NotALeasedTask):
        publish_leased(svc, catalog.SIPUNI_FINALIZE_STEP2, args=["run-1", 1])


def test_send_task_leases_nothing(svc, celery_app, redis_client):
    celery_app.send_task(catalog.HEMIS_SYNC_PAGE, args=["students", "run-2", 3], queue=PRIVATE_QUEUE)
    assert svc.leases.kinds() == []
    assert queue_lengths(redis_client, [PRIVATE_QUEUE])[PRIVATE_QUEUE] == 1
