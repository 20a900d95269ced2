"""security: organizations.webhook_key_hash (per-organization webhook keys, stored hashed)

Revision ID: 0005_security
Revises: 0003_ai
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0005_security'
down_revision = '0003_ai'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations') as batch_op:
        batch_op.add_column(sa.Column('webhook_key_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organizations_webhook_key_hash'), ['webhook_key_hash'])


def downgrade() -> None:
    with op.batch_alter_table('organizations') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organizations_webhook_key_hash'), type_='unique')
        batch_op.drop_column('webhook_key_hash')
