"""Fixtures of the API tests: the Sipuni ones for tests outside tests/api/sipuni (metrics, CLI), and
an app that starts no work in the session's worker."""

from __future__ import annotations

import pytest
from flask import Flask

from api.http.services import EXTENSION_KEY, make_celery_client
from shared.settings import Settings
from tests.support.sipuni import sipuni, sipuni_org  # noqa: F401 (fixtures)

IN_MEMORY_BROKER = "memory://"


def _nobody_answers(*_args: object, **_kwargs: object) -> list[dict[str, object]]:
    return []


@pytest.fixture
def app_without_workers(app: Flask, settings: Settings) -> Flask:
    """The app, publishing its tasks to an in-memory broker that no worker reads.

    For tests that call routes at random (fuzzing, sweeping every route): a sync they happen to
    start must not run in the session's worker, which would write into the next test's data after
    that test emptied the tables. Task results are still read from the test Redis DB. No worker
    can answer a ping on that broker, so a ping answers "nobody" at once instead of after its
    timeout (`/health`, `/overview` and `/metrics` ping).
    """
    return publishing_nowhere(app, settings)


def publishing_nowhere(app: Flask, settings: Settings) -> Flask:
    """`app`, its tasks published to an in-memory broker (see `app_without_workers`)."""
    client = make_celery_client(settings)
    client.conf.broker_url = IN_MEMORY_BROKER
    client.control.ping = _nobody_answers
    app.extensions[EXTENSION_KEY].celery = client
    return app
