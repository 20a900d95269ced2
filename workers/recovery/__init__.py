"""Crash recovery, the worker half: a generic mechanism that features plug into.

Units of work are leased in Redis when they are published (`shared.leases`, names in
`shared.units`); this package keeps them honest and imports no feature:
- `plan`: what features plug in (abandon handlers, run checks), declared in `workers.factory`.
- `unit`: the task side: claim the lease, heartbeat, release (fencing of stale copies).
- `heartbeats`: one thread per process renews the leases of the units it runs.
- `sweeper`: publishes again what stopped beating; gives up after too many attempts; runs the plan's run checks.
- `runs`: run checks any feature may use (a run whose live state Redis lost is ended).
- `worker_signals`: the housekeeping queue, a worker's liveness key, "held" marks, the hand-back on SIGTERM.
- `kombu_guard`: survives one kombu failure on a lost Redis connection.
The sweep task itself, `recovery.sweep`, is a housekeeping task (`workers.housekeeping`).
"""
