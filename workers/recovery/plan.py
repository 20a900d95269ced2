"""What features plug into crash recovery, declared where the Celery app is built (`workers.factory`).

Crash recovery is generic: it leases, heartbeats, sweeps and publishes again any unit named in
`shared.units`, and knows nothing of HEMIS, Sipuni or AI. A feature adds two things of its own:
- `abandon` handlers, by task name: what giving a unit up means for its run (a page recorded as
  failed, a call counted as failed...), called once a unit has been published again too often;
- run checks, by name: what no single unit can notice (every page done but nobody finalized,
  Redis lost a run's state...), run by every sweep; their results make up the sweep's report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.leases.store import RepublishSpec
from shared.services import Services

# (services, what would have been published again, why it is given up)
Abandon = Callable[[Services, RepublishSpec, str], None]
RunCheck = Callable[[Services], Any]


@dataclass(frozen=True)
class RecoveryPlan:
    abandon: Mapping[str, Abandon] = field(default_factory=dict)
    run_checks: Mapping[str, RunCheck] = field(default_factory=dict)

    def give_up(self, svc: Services, spec: RepublishSpec, message: str) -> None:
        handler = self.abandon.get(spec.task)
        if handler is not None:
            handler(svc, spec, message)

    def check_runs(self, svc: Services) -> dict[str, Any]:
        return {name: check(svc) for name, check in self.run_checks.items()}
