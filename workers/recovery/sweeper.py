"""The one sweeper: publishes again every leased unit that stopped making progress.

A unit is published again (under a new token, with `RECOVERY_PRIORITY`, keeping what is left of its
countdown) when
- the worker that holds or runs it is gone (its liveness key expired, or it handed its work back
  on SIGTERM): this covers running tasks, messages it reserved and countdowns it kept in memory;
- it is running and its heartbeat is older than RECOVERY_LEASE_S (a pool process killed or hung);
- it was published, nobody took it RECOVERY_QUEUED_GRACE_S after it was due, and its queue is
  empty (the message itself was lost);
- a worker received it but has not started it RECOVERY_QUEUED_GRACE_S after it was due (the worker
  lost it with its broker connection, or is too busy): the copy it holds is fenced.
After RECOVERY_MAX_ATTEMPTS it is given up: the feature's abandon handler records the unit as
failed. Then the features' run checks run (completion, Redis state lost, stuck AI calls); see
`workers.recovery.plan`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from celery.utils import uuid

from shared.catalog import RECOVERY_PRIORITY
from shared.leases.store import QUEUED, RUNNING, Lease, LeaseStore, RepublishSpec
from shared.services import Services
from workers.recovery.plan import RecoveryPlan

log = logging.getLogger("workers.recovery")
# Overdue units read per batch (one HMGET of leases and one of specs each).
SWEEP_BATCH_UNITS = 1000
# The longest a unit queued behind a backlog waits between two looks.
LOOK_AGAIN_MAX_S = 300.0


@dataclass
class SweepReport:
    republished: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    runs: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"republished": self.republished, "abandoned": self.abandoned, "runs": self.runs}


def sweep(svc: Services, plan: RecoveryPlan) -> SweepReport:
    report = SweepReport()
    store = svc.leases
    for holder in store.holders():
        if not store.is_alive(holder):
            hand_back(svc, plan, holder, report, reason=f"its worker {holder} is gone")
    now = time.time()
    for kind in store.kinds():
        _sweep_overdue(svc, plan, store, kind, now, report)
    report.runs = plan.check_runs(svc)
    return report


def hand_back(svc: Services, plan: RecoveryPlan, holder: str, report: SweepReport, *, reason: str) -> None:
    """Publish again every unit `holder` holds or runs (it died, or is shutting down)."""
    store = svc.leases
    for kind, unit in store.held_by(holder):
        lease = store.get(kind, unit)
        if lease is not None and lease.holder == holder:
            republish(svc, plan, lease, report, reason=reason)
    store.forget_holder_if_idle(holder)


def _sweep_overdue(svc: Services, plan: RecoveryPlan, store: LeaseStore, kind: str, now: float,
                   report: SweepReport) -> None:
    """The overdue units of `kind`, read in batches: a sweep costs a few commands per batch, not
    per unit, however long the backlog behind which units wait."""
    overdue = store.overdue(kind, now)
    for start in range(0, len(overdue), SWEEP_BATCH_UNITS):
        _sweep_batch(svc, plan, store, kind, overdue[start:start + SWEEP_BATCH_UNITS], now, report)


def _sweep_batch(svc: Services, plan: RecoveryPlan, store: LeaseStore, kind: str, units: list[str], now: float,
                 report: SweepReport) -> None:
    leases = store.get_many(kind, units)
    queued = [unit for unit, lease in leases.items() if lease is not None and lease.state == QUEUED]
    specs = store.specs_many(kind, queued)
    waiting: dict[str, float] = {}
    backlog: dict[str, int] = {}
    for unit, lease in leases.items():
        if lease is None:
            store.forget_deadline(kind, unit)
        elif lease.state == RUNNING:
            republish(svc, plan, lease, report, reason="its heartbeat stopped")
        elif lease.state == QUEUED:
            spec = specs.get(unit)
            queue = spec.queue if spec else ""
            if queue not in backlog:
                backlog[queue] = store.queue_backlog(queue) if queue else 0
            if backlog[queue] == 0:
                republish(svc, plan, lease, report, reason="its message was never taken")
            else:  # behind a backlog: look again later, the longer it has waited the later
                waiting[unit] = now + next_look_in_s(lease, now, store.queued_grace_s)
        else:  # HELD past its due time (+ grace): the worker lost it (e.g. its broker connection
            # dropped) or is too busy to start it; the copy it holds is fenced if it ever starts
            republish(svc, plan, lease, report, reason="its worker held it past its due time")
    store.look_again_at(kind, waiting)


def next_look_in_s(lease: Lease, now: float, grace_s: float) -> float:
    """How long a unit queued behind a backlog waits before it is looked at again: as long as it has
    waited already (at least the grace period, at most LOOK_AGAIN_MAX_S). A unit is then looked at a
    logarithmic number of times while a long backlog drains, instead of once every grace period; a
    lost message is still republished at most LOOK_AGAIN_MAX_S after its queue has drained."""
    waited_s = now - max(lease.since, lease.eta) if lease.since else grace_s
    return min(max(grace_s, waited_s), max(grace_s, LOOK_AGAIN_MAX_S))


def republish(svc: Services, plan: RecoveryPlan, lease: Lease, report: SweepReport, *, reason: str) -> None:
    store = svc.leases
    spec = store.spec(lease.kind, lease.unit)
    label = f"{lease.kind} {lease.unit}"
    if spec is None:
        store.drop(lease.kind, lease.unit)
        return
    if lease.attempts >= svc.settings.recovery_max_attempts:
        _abandon(svc, plan, lease, spec, reason)
        report.abandoned.append(label)
        return
    token = uuid()
    if store.take_over(lease.kind, lease.unit, lease.token, token) is None:
        return  # another sweeper was first, or the unit just ended
    countdown = max(0.0, lease.eta - time.time()) if lease.eta else None
    # The lease already names the new token (take_over): this publish only sends the message.
    svc.celery.send_task(spec.task, args=spec.args, kwargs=spec.kwargs, task_id=token, countdown=countdown or None,
                         queue=spec.queue, priority=RECOVERY_PRIORITY)
    log.warning("[RECOVERY] %s published again (attempt %s): %s", label, lease.attempts + 1, reason)
    report.republished.append(label)


def _abandon(svc: Services, plan: RecoveryPlan, lease: Lease, spec: RepublishSpec, reason: str) -> None:
    message = (f"given up after {lease.attempts} recoveries ({reason}); the task kept dying "
               "(worker lost or hard time limit)")
    log.error("[RECOVERY] %s %s: %s", lease.kind, lease.unit, message)
    svc.leases.drop(lease.kind, lease.unit)
    plan.give_up(svc, spec, message)
