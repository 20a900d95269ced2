"""Fixtures of the restart tests: the HEMIS and Sipuni simulators, a private Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.restarts import PrivateRedis
from tests.support.sipuni import sipuni, sipuni_org  # noqa: F401 (fixtures)
from tests.workers.hemis.conftest import hemis  # noqa: F401 (fixture)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
