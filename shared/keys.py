"""Every Redis key navai-sync uses, named in this one module.

All keys start with `PREFIX` (`navai:`), so one deployment's keys can be listed with
`redis-cli --scan --pattern 'navai:*'`. Celery's own keys (queues, results, unacked messages) are
Celery's. A key family is a function of the ids it is about; nothing else spells a key.

| family | type | written by | what |
|---|---|---|---|
| `run:<run id>` | hash | runs | a run's live progress (`shared.runs.progress`) |
| `run:<run id>:errors` / `:finished` | list / set | runs | its error log; units counted once |
| `run:<run id>:cancelled` | string | runs | the run was cancelled (`shared.runs.cancel`) |
| `latest:<scope>` | string | runs | the latest run of a scope (e.g. `hemis:<org id>:students`) |
| `lock:<scope>` | string | runs | the run holding a scope (`shared.runs.locks`) |
| `task:owner:<task id>` | string | runs | who may see a task (`shared.runs.owners`) |
| `inflight:*` | hashes, zset, sets | leases | leases of in-flight units (`shared.leases.store`) |
| `hemis:run:<run id>:<part>` | mixed | workers.hemis | a HEMIS run's page ledger |
| `hemis:single-sync-mutex:<org id>` | lock | api.hemis | counting an organization's queued single-record syncs |
| `sipuni:step2:rows:<run id>` | hash | workers.sipuni | a step-2 run's staged CSV rows |
| `budget:<name>` / `ratelimit:<name>` | hash / string | workers.ratelimit | shared request budgets (HEMIS: `budget:hemis:<host>`) |
| `ai:queued:<call id>` | string | shared.ai | a call queued for AI processing |
| `metrics:records` / `metrics:upstream` | hash | shared.metrics | counters for `/metrics` |
| `jwt:revoked:<jti>` | string | api.auth | logged-out tokens |
| `login:LIMITER/...` | `limits` counters | api.auth | the login throttle, per (account, address) and address |
| `webhook-keys:LIMITER/...` | `limits` counters | api.sipuni | wrong webhook keys per client address |
"""

from __future__ import annotations

PREFIX = "navai:"


# --- runs ------------------------------------------------------------------------------------------
def run_progress(run_id: str) -> str:
    return f"{PREFIX}run:{run_id}"


def run_errors(run_id: str) -> str:
    return f"{PREFIX}run:{run_id}:errors"


def run_finished_units(run_id: str) -> str:
    return f"{PREFIX}run:{run_id}:finished"


def run_cancelled(run_id: str) -> str:
    return f"{PREFIX}run:{run_id}:cancelled"


def latest_run(scope: str) -> str:
    return f"{PREFIX}latest:{scope}"


def run_lock(scope: str) -> str:
    return f"{PREFIX}lock:{scope}"


def task_owner(task_id: str) -> str:
    return f"{PREFIX}task:owner:{task_id}"


# --- leases of in-flight units (crash recovery) ----------------------------------------------------
INFLIGHT_PREFIX = f"{PREFIX}inflight:"
LEASE_KINDS = f"{INFLIGHT_PREFIX}kinds"
LEASE_HOLDERS = f"{INFLIGHT_PREFIX}holders"
# Spelled inside Lua scripts as `HOLDER_PREFIX .. holder`.
HOLDER_PREFIX = f"{INFLIGHT_PREFIX}holder:"
SWEEP_DUE = f"{INFLIGHT_PREFIX}sweep-due"


def lease_keys(kind: str) -> tuple[str, str, str]:
    """A lease kind's hashes and zset: (leases by unit, deadlines by unit, republish specs by unit)."""
    return f"{INFLIGHT_PREFIX}{kind}:lease", f"{INFLIGHT_PREFIX}{kind}:due", f"{INFLIGHT_PREFIX}{kind}:spec"


def units_held_by(holder: str) -> str:
    return f"{HOLDER_PREFIX}{holder}"


def worker_alive(holder: str) -> str:
    return f"{INFLIGHT_PREFIX}alive:{holder}"


# The workers that renewed a liveness key lately (zset: name -> last renewal, epoch s): who may be
# alive is read from it without scanning the keyspace (`GET /health`, `GET /overview`).
WORKERS_SEEN = f"{INFLIGHT_PREFIX}workers-seen"


# --- features --------------------------------------------------------------------------------------
HEMIS_LEDGER_PARTS = ("meta", "done", "failed", "ids", "fingerprints", "totals", "finalizing")


def hemis_run_ledger(run_id: str) -> dict[str, str]:
    """The keys of a HEMIS run's page ledger, by part (named together: a page task needs most of them)."""
    return {part: f"{PREFIX}hemis:run:{run_id}:{part}" for part in HEMIS_LEDGER_PARTS}


def hemis_single_sync_mutex(organization_id: int) -> str:
    return f"{PREFIX}hemis:single-sync-mutex:{organization_id}"


def staged_rows(run_id: str) -> str:
    return f"{PREFIX}sipuni:step2:rows:{run_id}"


def ai_queued(call_id: int) -> str:
    return f"{PREFIX}ai:queued:{call_id}"


# --- shared request budgets ------------------------------------------------------------------------
def server_budget(name: str) -> str:
    return f"{PREFIX}budget:{name}"


def rate_slots(name: str) -> str:
    return f"{PREFIX}ratelimit:{name}"


# --- observability and the API ---------------------------------------------------------------------
METRICS_RECORDS = f"{PREFIX}metrics:records"
METRICS_UPSTREAM = f"{PREFIX}metrics:upstream"
# The login throttle's `limits` storage prefix (its `key_prefix`; `limits` appends `:LIMITER/...`).
LOGIN_THROTTLE_PREFIX = f"{PREFIX}login"
# The same for wrong webhook keys (`api.sipuni.webhook_throttle`), per client address.
WEBHOOK_KEY_THROTTLE_PREFIX = f"{PREFIX}webhook-keys"


def revoked_token(jti: str) -> str:
    return f"{PREFIX}jwt:revoked:{jti}"
