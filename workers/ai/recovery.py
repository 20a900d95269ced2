"""What the AI pipeline plugs into crash recovery (`workers.recovery.plan`, declared in `workers.factory`).

- Giving up an AI step (its worker kept dying, or the hard time limit kept striking) leaves the
  call `failed`, with the reason, ready to be reprocessed.
- A call stuck in `transcribing`/`analyzing` past its time limit with no lease (its task died and
  Redis forgot the lease) is run again from that step.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from shared import catalog
from shared.leases.publish import publish_leased
from shared.leases.store import RepublishSpec
from shared.models import AiStatus, Call, utcnow
from shared.services import Services
from shared.units import unit_of
from workers.ai.store import set_status

log = logging.getLogger("workers.recovery")

STUCK_AI_BATCH = 200
STEP_TASKS = {AiStatus.TRANSCRIBING.value: catalog.AI_TRANSCRIBE, AiStatus.ANALYZING.value: catalog.AI_ANALYZE}


def abandon_step(svc: Services, spec: RepublishSpec, message: str) -> None:
    with svc.session() as session:
        set_status(session, int(spec.args[0]), AiStatus.FAILED, f"{spec.task}: {message}")


ABANDON = {name: abandon_step for name in (catalog.AI_PROCESS_CALL, catalog.AI_TRANSCRIBE, catalog.AI_ANALYZE)}


def check_runs(svc: Services) -> dict[str, list[int]]:
    return {"aiRestarted": restart_stuck_calls(svc)}


def restart_stuck_calls(svc: Services) -> list[int]:
    cutoff = utcnow() - timedelta(seconds=svc.settings.celery_task_time_limit_s + svc.settings.recovery_lease_s)
    with svc.session() as session:
        stuck = session.execute(select(Call.id, Call.ai_status).where(
            Call.ai_status.in_(list(STEP_TASKS)), Call.updated_at < cutoff).limit(STUCK_AI_BATCH)).all()
    restarted = []
    for call_id, status in stuck:
        task = STEP_TASKS[status]
        unit = unit_of(task, [call_id], None)
        if svc.leases.exists(unit.kind, unit.name):
            continue  # its lease is being looked after
        publish_leased(svc, task, args=[call_id])
        log.warning("[RECOVERY] AI call %s stuck in %s past its time limit: %s again", call_id, status, task)
        restarted.append(call_id)
    return restarted
