"""analysis language: organizations.analysis_language (the language calls are analysed in)

Why: the prompt's output language was one setting for the whole deployment (STT_LANGUAGE); each
organization now picks its own ("uz", "ru" or "en", `analysisLanguage` in GET/PATCH /settings).
Existing organizations get NULL, which follows STT_LANGUAGE as before, so nothing changes for them
until an admin picks a language. A nullable column without a default: adding it rewrites no rows
and holds its lock only for an instant.

Revision ID: 0009_analysis_language
Revises: 0008_credential_version
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0009_analysis_language'
down_revision = '0008_credential_version'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations') as batch_op:
        batch_op.add_column(sa.Column('analysis_language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organizations') as batch_op:
        batch_op.drop_column('analysis_language')
