"""The Redis client factory's helpers."""

from __future__ import annotations

import hashlib


def test_scripts_run_by_sha_and_are_loaded_again_after_redis_forgets_them(tmp_path):
    """EVALSHA, with the script loaded again when the server lost its script cache (a restart):
    on a private redis-server, so that flushing its scripts disturbs nobody else."""
    from shared.redis_client import make_redis, run_script
    from tests.support.restarts import PrivateRedis

    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        client = make_redis(server.url)
        source = "return redis.call('incrby', KEYS[1], ARGV[1])"
        assert run_script(client, source, ["counter"], [2]) == 2
        client.script_flush()
        assert run_script(client, source, ["counter"], [3]) == 5
        assert client.script_exists(hashlib.sha1(source.encode()).hexdigest()) == [True]
    finally:
        server.stop()
