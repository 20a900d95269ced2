"""credential version: users.credential_version (tokens end when credentials change)

Why: a token carries the credential version of its user; changing the password, email, role or
organization, or deactivating the user, bumps it, and every token issued before answers 401. Every
existing user starts at 0, the version a token without the claim (issued before this release) is
taken to carry, so nobody is logged out by the upgrade.

Revision ID: 0008_credential_version
Revises: 0007_raw_lz4
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_credential_version'
down_revision = '0007_raw_lz4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('credential_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('credential_version')
