"""the call list (issue 19 point 1): call_log's callback columns, backfill, and the list's index

Why: `GET /calls` now lists every exported call (the call log joined with the stored calls), with
Sipuni's callback state read from "Состояние перезвона" and "Время перезвона" when the call log
is written (`shared.sipuni.callbacks`).

- `call_log.callback_state`, `callback_at`, `callback_delay_s`: nullable, without a default, so
  adding them rewrites no row and holds the table's lock only for an instant.
- Backfill, in batches that commit one by one (no long lock on rows step 1 may be upserting):
  1. a stored call without a call-log row (stored before the call log existed) gets one, from its
     own columns (the extension is its employee's), so that the list, which starts from the call
     log, shows it;
  2. the callback columns of a row whose stored call kept the export's row (`calls.raw`) are read
     from it. The call log does not keep the raw row, so the other rows stay NULL until the next
     export of their days rewrites them (a re-export updates them in place).
- `ix_call_log_organization_id_started_at_id`: the list's order with its commonest filters
  included, built with CREATE INDEX CONCURRENTLY on PostgreSQL (writes go on while it builds; an
  invalid leftover of an interrupted build is dropped first).

Revision ID: 0010_call_list
Revises: 0009_analysis_language
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.sipuni.callbacks import parse_callback

revision = '0010_call_list'
down_revision = '0009_analysis_language'
branch_labels = None
depends_on = None

INDEX_NAME = 'ix_call_log_organization_id_started_at_id'
INDEX_COLUMNS = ['organization_id', 'started_at', 'id']
INDEX_INCLUDE = ['employee_id', 'ext_code', 'status', 'direction', 'callback_state']
BACKFILL_BATCH_ROWS = 1000
CALLBACK_COLUMNS = ('callback_state', 'callback_at', 'callback_delay_s')
# The export's header names (as `calls.raw` keeps them), normalised as the CSV parser does.
STATE_HEADER, TIME_HEADER, START_HEADER = 'состояние перезвона', 'время перезвона', 'время'
START_FORMATS = ('%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M')
OFFSET_STEP_S = 15 * 60


def upgrade() -> None:
    with op.batch_alter_table('call_log') as batch_op:
        batch_op.add_column(sa.Column('callback_state', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('callback_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('callback_delay_s', sa.Integer(), nullable=True))
    if _is_postgresql():
        with op.get_context().autocommit_block():
            _log_stored_calls()
            _backfill_callbacks()
            _drop_invalid_index()
            op.create_index(INDEX_NAME, 'call_log', INDEX_COLUMNS, unique=False, postgresql_include=INDEX_INCLUDE,
                            postgresql_concurrently=True, if_not_exists=True)
    else:
        _log_stored_calls()
        _backfill_callbacks()
        op.create_index(INDEX_NAME, 'call_log', INDEX_COLUMNS, unique=False)


def downgrade() -> None:
    if _is_postgresql():
        with op.get_context().autocommit_block():
            op.drop_index(INDEX_NAME, table_name='call_log', postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(INDEX_NAME, table_name='call_log')
    # The call-log rows given to stored calls stay: they are true rows of the call log.
    with op.batch_alter_table('call_log') as batch_op:
        for column in reversed(CALLBACK_COLUMNS):
            batch_op.drop_column(column)


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def _drop_invalid_index() -> None:
    """An interrupted CREATE INDEX CONCURRENTLY leaves an invalid index that IF NOT EXISTS would keep."""
    invalid = op.get_bind().scalar(sa.text(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = :name"),
        {'name': INDEX_NAME})
    if invalid:
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS {INDEX_NAME}')


def _log_stored_calls() -> None:
    """A call-log row for every stored call that has none (one statement: such calls are the few
    stored before the call log existed)."""
    op.execute(sa.text("""
        INSERT INTO call_log (organization_id, record_id, direction, status, started_at, ext_code, employee_id,
                              from_number, to_number, answered_by, call_duration_s, talk_duration_s,
                              answer_duration_s, has_recording, first_seen_at, updated_at)
        SELECT c.organization_id, c.external_id, c.direction, substr(c.status, 1, 16), c.started_at,
               substr(u.ext_code, 1, 16), c.employee_id, c.from_number, c.to_number, c.answered_by,
               c.call_duration_s, c.talk_duration_s, c.answer_duration_s, c.recording_path IS NOT NULL,
               c.created_at, c.updated_at
        FROM calls c LEFT JOIN users u ON u.id = c.employee_id
        WHERE NOT EXISTS (SELECT 1 FROM call_log l
                          WHERE l.organization_id = c.organization_id AND l.record_id = c.external_id)
    """))


def _backfill_callbacks() -> None:
    """Read the callback columns of the stored calls' export rows, a batch at a time by call-log id."""
    bind = op.get_bind()
    select = sa.text("""
        SELECT l.id, l.direction, l.status, l.started_at, c.raw FROM call_log l
        JOIN calls c ON c.organization_id = l.organization_id AND c.external_id = l.record_id
        WHERE l.id > :after AND l.callback_state IS NULL ORDER BY l.id LIMIT :batch
    """)
    update = sa.text("UPDATE call_log SET callback_state = :state, callback_at = :at, callback_delay_s = :delay "
                     "WHERE id = :id")
    after = 0
    while rows := bind.execute(select, {'after': after, 'batch': BACKFILL_BATCH_ROWS}).all():
        after = rows[-1][0]
        values = [value for value in (_callback_values(*row) for row in rows) if value is not None]
        if values:
            bind.execute(update, values)


def _callback_values(log_id: int, direction: str | None, status: str | None, started_at: Any,
                     raw: Any) -> dict[str, Any] | None:
    """The callback columns of one row, or None when its raw row has no callback column."""
    row = _by_header(json.loads(raw) if isinstance(raw, str) else raw or {})
    if STATE_HEADER not in row:
        return None
    started = _aware(started_at)
    callback = parse_callback(row.get(STATE_HEADER), row.get(TIME_HEADER), direction=direction, status=status,
                              started_at=started, utc_offset_s=_offset_s(row.get(START_HEADER), started))
    if callback.state is None:
        return None
    return {'id': log_id, 'state': callback.state, 'at': callback.at, 'delay': callback.delay_s}


def _by_header(raw: dict[str, Any]) -> dict[str, str]:
    return {str(name).replace('\ufeff', '').strip().lower(): str(value or '') for name, value in raw.items()}


def _aware(value: Any) -> datetime | None:
    """A timestamp as PostgreSQL (aware) or SQLite (text or naive, meaning UTC) gives it."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _offset_s(local_text: str | None, started_at: datetime | None) -> int | None:
    """The account's UTC offset: the row's local "Время" minus its start, in whole quarter hours."""
    if not local_text or started_at is None:
        return None
    for fmt in START_FORMATS:
        try:
            local = datetime.strptime(local_text.strip(), fmt)
        except ValueError:
            continue
        utc = started_at.astimezone(timezone.utc).replace(tzinfo=None)
        return round((local - utc) / timedelta(seconds=OFFSET_STEP_S)) * OFFSET_STEP_S
    return None
