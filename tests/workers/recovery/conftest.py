"""Fixtures of the restart tests: the Sipuni simulator, a private Redis (the HEMIS one is `tests/conftest.py`'s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.restarts import PrivateRedis
from tests.support.sipuni import sipuni, sipuni_org  # noqa: F401 (fixtures)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
