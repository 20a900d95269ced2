"""Alembic environment: the URL comes from the caller (`-x url=` or the config), else from the
settings: MIGRATIONS_DATABASE_URL, or DATABASE_URL when it is unset.

Why a URL of its own: a migration is free to use what a PgBouncer in transaction mode forbids
(session `SET lock_timeout`, statements outside a transaction such as `CREATE INDEX CONCURRENTLY`
that must follow one another on one server connection), and it holds its connection for as long as
the DDL takes, which would take one of the pooler's few server connections from the application
(and fall foul of its `query_timeout` / `idle_transaction_timeout` where those are set). A
deployment behind PgBouncer points MIGRATIONS_DATABASE_URL at PostgreSQL itself.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

from shared.db import make_engine
from shared.models import Base
from shared.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


# One connection, for the duration of the upgrade.
MIGRATIONS_POOL_SIZE = 1


def _database_url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or Settings.from_env().migrations_url
    )


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _database_url()
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url.removeprefix("sqlite:///"))), exist_ok=True)
    engine = make_engine(url, pool_size=MIGRATIONS_POOL_SIZE, max_overflow=0)
    with engine.connect() as connection:
        # Batch mode lets ALTERs work on SQLite (the local demo) as well as PostgreSQL.
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
