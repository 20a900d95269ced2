"""`recovery.sweep`: beat sends it every RECOVERY_SWEEP_INTERVAL_S; tasks send it too (throttled)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from workers.base import NavaiTask
from workers.recovery.sweeper import sweep as sweep_once


@shared_task(name="recovery.sweep", base=NavaiTask, bind=True, ignore_result=True)
def sweep(self: NavaiTask) -> dict[str, Any]:
    return sweep_once(self.ctx, self.app).as_dict()
