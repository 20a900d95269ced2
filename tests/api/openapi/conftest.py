"""The fuzz test's own PostgreSQL database and data directory (issue #18, point 6).

Fuzzing creates and deactivates users, rewrites settings, archives criteria and starts runs. It
does so in `<test database>_fuzz`, created and migrated once per session next to the suite's test
database, with its own data directory, so nothing it writes can reach what other tests read. The
Redis test DB is shared: every test empties it before it starts (`settings`), and the fuzz world
empties it when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from shared.db import make_engine
from shared.settings import Settings
from tests.api.conftest import publishing_nowhere
from tests.conftest import alembic_config
from tests.support.services import recreate_database

FUZZ_DATABASE_SUFFIX = "_fuzz"


def fuzz_database_url(database_url: str) -> str:
    """The suite's test database URL with `_fuzz` appended to the database's name."""
    url = make_url(database_url)
    return url.set(database=f"{url.database}{FUZZ_DATABASE_SUFFIX}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def fuzz_settings(session_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    database_url = fuzz_database_url(session_settings.database_url)
    recreate_database(database_url)
    command.upgrade(alembic_config(database_url), "head")
    return session_settings.replace(database_url=database_url, data_dir=str(tmp_path_factory.mktemp("fuzz-data")))


@pytest.fixture(scope="session")
def fuzz_engine(fuzz_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(fuzz_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fuzz_app(fuzz_settings: Settings) -> Iterator[Flask]:
    """The app on the fuzz database, publishing its tasks nowhere (no worker runs what it starts)."""
    from api import create_app

    app = create_app(fuzz_settings)
    app.config["TESTING"] = True
    yield publishing_nowhere(app, fuzz_settings)
    app.extensions["navai"].engine.dispose()
