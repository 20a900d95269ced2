"""raw JSON columns compressed with lz4 instead of pglz (PostgreSQL >= 14 built with lz4)

Why: every synced record keeps its upstream item in `raw` (~3 KB for a HEMIS student), which
PostgreSQL compresses when it stores it. pglz made that a quarter of the database's CPU on a HEMIS
page upsert; lz4 is several times faster at about the same size (measured with `bench/hemis_sync.py`:
6.1 -> 4.7 ms per 50-student page). Only new values are compressed the new way; stored ones stay
readable. A server built without lz4 (or SQLite) keeps pglz: the change is skipped, never failed.

Revision ID: 0007_raw_lz4
Revises: 0006_analytics
"""
from __future__ import annotations

from alembic import op

revision = '0007_raw_lz4'
down_revision = '0006_analytics'
branch_labels = None
depends_on = None

RAW_COLUMNS = (("students", "raw"), ("employees", "raw"), ("calls", "raw"))


def _set_compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    statements = " ".join(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method};'
                          for table, column in RAW_COLUMNS)
    # In a DO block so that a server without lz4 support ends up unchanged instead of failing the upgrade.
    op.execute(f"DO $$ BEGIN {statements} EXCEPTION WHEN feature_not_supported OR invalid_parameter_value "
               f"OR syntax_error THEN RAISE NOTICE 'raw columns keep their compression: %', SQLERRM; END $$")


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("pglz")
