"""The one kombu internal the recovery guard wraps, pinned: an upgrade that renames it fails here
instead of leaving a worker that exits on a Redis restart."""

from __future__ import annotations

import inspect

from kombu.transport import redis as kombu_redis

from workers.recovery import kombu_guard


def test_the_guarded_method_exists_with_the_signature_the_guard_calls():
    method = kombu_guard._original
    assert method.__name__ == "restore_unacked_once"
    assert list(inspect.signature(method).parameters) == ["self", "stderr"]


def test_install_wraps_the_method_and_swallows_only_the_lost_connection_error():
    original = kombu_redis.QoS.restore_unacked_once
    try:
        kombu_guard.install()
        assert kombu_redis.QoS.restore_unacked_once is kombu_guard._restore_unacked_once

        class LostConnection:
            def restore_unacked_once(self, stderr=None):  # type: ignore[no-untyped-def]
                raise AttributeError("'NoneType' object has no attribute 'hostname'")

        kombu_guard._original = LostConnection.restore_unacked_once
        assert kombu_guard._restore_unacked_once(LostConnection()) is None
    finally:
        kombu_guard._original = original
        kombu_redis.QoS.restore_unacked_once = original  # type: ignore[method-assign]
