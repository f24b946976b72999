"""tamper-evident ledger: global Merkle log, checkpoints, immutability triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Creates ``log_entry`` (the global Merkle log, one leaf per audit event), ``log_state`` (its
running head) and ``checkpoint`` (signed tree heads); puts every event recorded before this
revision into the log, in id order; and installs triggers that refuse UPDATE, DELETE and TRUNCATE
on ``audit_event``, ``log_entry`` and ``checkpoint`` (docs/LEDGER.md §7).

Self-contained on purpose: the backfill below carries its own copy of the version-1 event
serialisation instead of importing the app, so it keeps doing exactly what it did today.
"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("audit_event", "log_entry", "checkpoint")
BACKFILL_BATCH = 5000


def upgrade():
    op.create_table('checkpoint',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('timestamp', sa.DateTime(timezone=True), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=88), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint'))
    )
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkpoint_tree_size'), ['tree_size'], unique=False)

    op.create_table('log_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('frontier', sa.JSON(), nullable=False),
    sa.Column('last_checkpoint_size', sa.BigInteger(), nullable=False),
    sa.Column('pending_since', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_log_state_singleton')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_state'))
    )
    op.create_table('log_entry',
    sa.Column('log_index', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('leaf_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_event.id'], name=op.f('fk_log_entry_event_id_audit_event')),
    sa.PrimaryKeyConstraint('log_index', name=op.f('pk_log_entry')),
    sa.UniqueConstraint('event_id', name=op.f('uq_log_entry_event_id'))
    )

    _backfill()
    _create_append_only_triggers()


def downgrade():
    _drop_append_only_triggers()
    op.drop_table('log_entry')
    op.drop_table('log_state')
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkpoint_tree_size'))

    op.drop_table('checkpoint')


# -- immutability -------------------------------------------------------------------------------


def _create_append_only_triggers():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION custody_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'custody: % on % is refused: the audit record is append-only', TG_OP, TG_TABLE_NAME
                    USING HINT = 'Corrections are new events; see docs/LEDGER.md.';
            END;
            $$
        """)
        for table in APPEND_ONLY_TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION custody_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION custody_append_only()")
    elif bind.dialect.name == "sqlite":
        # SQLite has no TRUNCATE; a DELETE without WHERE still fires row triggers.
        for table in APPEND_ONLY_TABLES:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, 'custody: {operation} on {table} is refused: "
                    f"the audit record is append-only'); END"
                )


def _drop_append_only_triggers():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS custody_append_only()")
    elif bind.dialect.name == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for operation in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")


# -- backfill: events recorded before this revision become the first leaves --------------------

_events = sa.table(
    "audit_event",
    sa.column("id", sa.BigInteger()),
    sa.column("category", sa.String()),
    sa.column("action", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("actor", sa.JSON()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("case_id", sa.Integer()),
    sa.column("item_id", sa.Integer()),
    sa.column("item_seq", sa.Integer()),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("recorded_at", sa.DateTime(timezone=True)),
    sa.column("reason", sa.Text()),
    sa.column("data", sa.JSON()),
    sa.column("origin_ip", sa.String()),
    sa.column("user_agent", sa.String()),
    sa.column("prev_hash", sa.String()),
)
_log_entry = sa.table(
    "log_entry", sa.column("log_index", sa.BigInteger()), sa.column("event_id", sa.BigInteger()),
    sa.column("leaf_hash", sa.String()),
)
_log_state = sa.table(
    "log_state", sa.column("id", sa.Integer()), sa.column("tree_size", sa.BigInteger()),
    sa.column("frontier", sa.JSON()), sa.column("last_checkpoint_size", sa.BigInteger()),
    sa.column("pending_since", sa.DateTime(timezone=True)),
)


def _timestamp_v1(value):
    if value.tzinfo is None:  # SQLite keeps UTC without an offset
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _entry_bytes_v1(row):
    """docs/LEDGER.md §5, format version 1."""
    entry = {
        "v": 1,
        "category": row.category,
        "action": row.action,
        "outcome": row.outcome,
        "actor": row.actor,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "case_id": row.case_id,
        "item_id": row.item_id,
        "item_seq": row.item_seq,
        "occurred_at": _timestamp_v1(row.occurred_at),
        "recorded_at": _timestamp_v1(row.recorded_at),
        "reason": row.reason,
        "data": row.data,
        "origin": {"ip": row.origin_ip, "user_agent": row.user_agent},
        "prev_hash": row.prev_hash,
    }
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def _backfill():
    bind = op.get_bind()
    size, frontier, last_id = 0, [], None
    while True:  # keyset pages: never a cursor left open while inserting
        stmt = sa.select(_events).order_by(_events.c.id).limit(BACKFILL_BATCH)
        if last_id is not None:
            stmt = stmt.where(_events.c.id > last_id)
        rows = bind.execute(stmt).all()
        if not rows:
            break
        batch = []
        for row in rows:
            leaf = hashlib.sha256(b"\x00" + _entry_bytes_v1(row)).digest()
            batch.append({"log_index": size, "event_id": row.id, "leaf_hash": leaf.hex()})
            # Append to the compact range: merge equal-sized subtrees like a binary counter.
            value, count = leaf, size
            while count & 1:
                value = _node(frontier.pop(), value)
                count >>= 1
            frontier.append(value)
            size += 1
        op.bulk_insert(_log_entry, batch)
        last_id = rows[-1].id
    op.bulk_insert(_log_state, [{
        "id": 1, "tree_size": size, "frontier": [h.hex() for h in frontier],
        "last_checkpoint_size": 0, "pending_since": None,
    }])
