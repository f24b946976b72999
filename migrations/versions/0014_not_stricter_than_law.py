"""rules no stricter than the law: the seizure list's second officer and witness note, flagged
transfer lines (listed while out for appraisal or awaiting valuation)

Revision ID: 0014_not_stricter_than_law
Revises: 0013_freezes
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_not_stricter_than_law'
down_revision = '0013_freezes'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on):
    """SQLite rebuilds a table to drop a column or add a foreign key; the rebuild drops the old table,
    which other rows reference: foreign keys off around it (only possible outside a transaction),
    checked after — SQLite's documented procedure."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.get_context().autocommit_block():
        if on:
            problems = op.get_bind().exec_driver_sql('PRAGMA foreign_key_check').fetchall()
            if problems:
                raise RuntimeError(f'foreign key problems after the rebuild: {problems[:5]}')
        op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def upgrade():
    with op.batch_alter_table('seizure_list', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_officer', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('witness_note', sa.String(length=200), nullable=True))
    with op.batch_alter_table('transfer_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag', sa.String(length=200), nullable=True))


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('transfer_line', schema=None) as batch_op:
        batch_op.drop_column('flag')
    with op.batch_alter_table('seizure_list', schema=None) as batch_op:
        batch_op.drop_column('witness_note')
        batch_op.drop_column('second_officer')
    _sqlite_foreign_keys(True)
