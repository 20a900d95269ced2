"""Crash recovery: in-flight units leased in Redis (shared.inflight), heartbeats, and one sweeper.

- `registry`: which tasks are leased units, of which kind, and how a unit is given up.
- `publishing`: the Celery app whose `send_task` leases a unit before publishing it.
- `unit`: the task side: claim the lease, heartbeat, release (fencing of stale copies).
- `sweeper`: publishes again what stopped beating; runs the run checks (`runs`).
- `worker_signals`: a worker's liveness key, "held" marks, and the hand-back on SIGTERM.
- `tasks`: `recovery.sweep`, run by beat every RECOVERY_SWEEP_INTERVAL_S and by the tasks.
"""
