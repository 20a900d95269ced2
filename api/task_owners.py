"""The task-owner records live in `shared.task_owners` (every path that enqueues a run uses them)."""

from shared.task_owners import DEPLOYMENT, OWNER_PREFIX, OWNER_TTL_S, owner_of, remember_owner

__all__ = ["DEPLOYMENT", "OWNER_PREFIX", "OWNER_TTL_S", "owner_of", "remember_owner"]
