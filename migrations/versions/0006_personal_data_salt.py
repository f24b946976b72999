"""personal-data salt: a random per-item salt for the personal-data digests in the audit record

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Every existing item gets its own random salt. Events recorded before this revision keep the
unsalted digests they were written with (the record is append-only); docs/LEDGER.md §5.6 says how
to check those.

The column stays NULL-able in the schema: making it NOT NULL would make SQLite rebuild the ``item``
table, which its foreign keys refuse once items are referenced. The app always sets it (the model's
default), and computing a digest without a salt raises.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on SQLite as well (batch mode does not rebuild the table for it).
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal_data_salt', sa.String(length=32), nullable=True))

    bind = op.get_bind()
    item = sa.table('item', sa.column('id', sa.Integer()), sa.column('personal_data_salt', sa.String(32)))
    ids = bind.execute(sa.select(item.c.id).where(item.c.personal_data_salt.is_(None))).scalars().all()
    for item_id in ids:
        bind.execute(sa.update(item).where(item.c.id == item_id).values(personal_data_salt=secrets.token_hex(16)))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite 3.35+): a batch rebuild of ``item`` would fail on its foreign keys.
        op.execute("ALTER TABLE item DROP COLUMN personal_data_salt")
        return
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_column('personal_data_salt')
