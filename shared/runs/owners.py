"""Which organization each task the API enqueued belongs to, so `GET /tasks/<id>` shows a task
only to its own organization.

Kept in Redis next to the results, and for longer than Celery keeps them (`RESULT_EXPIRES_S`).
HEMIS tasks belong to the organization whose HEMIS they sync, like every other task (`GET
/tasks/<id>` shows them to its ADMINs only); the `DEPLOYMENT` owner remains for tasks recorded
before HEMIS was per organization, shown to ADMINs and SUPERADMINs.
"""

from __future__ import annotations

import redis

from shared import keys
from shared.catalog import RESULT_EXPIRES_S

OWNER_TTL_S = RESULT_EXPIRES_S + 3600
DEPLOYMENT = "deployment"


def remember_owner(client: redis.Redis, task_id: str, organization_id: int | None) -> None:
    """Record who may see `task_id`: an organization, or the deployment (None)."""
    owner = DEPLOYMENT if organization_id is None else str(organization_id)
    client.set(keys.task_owner(task_id), owner, ex=OWNER_TTL_S)


def owner_of(client: redis.Redis, task_id: str) -> str | None:
    """The recorded owner (an organization id as text, or `DEPLOYMENT`); None if unknown."""
    return client.get(keys.task_owner(task_id))
