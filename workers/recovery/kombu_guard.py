"""A guard around one kombu Redis-transport failure that takes a whole worker down.

When Redis restarts, the worker's consumer closes its channel, and kombu (5.7) restores the
channel's unacknowledged messages on close; with the connection already gone, building the Redis
client raises `AttributeError: 'NoneType' object has no attribute 'hostname'`, which Celery treats
as an unrecoverable error: the worker exits instead of reconnecting. Skipping the restore there is
safe: the messages stay in Redis's unacked hash (restored after the visibility timeout), and their
leases have the recovery sweeper publish them again well before that.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis as kombu_redis

log = logging.getLogger("workers.recovery")

_original = kombu_redis.QoS.restore_unacked_once


def _restore_unacked_once(self: Any, stderr: Any = None) -> Any:
    try:
        return _original(self, stderr)
    except AttributeError as exc:
        log.warning("unacknowledged messages not restored on a lost connection (%s); their leases cover them", exc)
        return None


def install() -> None:
    kombu_redis.QoS.restore_unacked_once = _restore_unacked_once  # type: ignore[method-assign]
