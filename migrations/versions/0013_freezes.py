"""freezes: the institution's receipt date, approval and notice contents, queued freezes

Revision ID: 0013_freezes
Revises: 0012_clocks_and_holidays
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_freezes'
down_revision = '0012_clocks_and_holidays'
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
    with op.batch_alter_table('freeze_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_end_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('approval_level', sa.Enum('county', 'city', 'province', name='approvallevel', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('covers_fruits', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('scope', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('listed_company', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('major_case_approval', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('queue_position', sa.Integer(), nullable=True))
    with op.batch_alter_table('freeze_renewal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_end_on', sa.Date(), nullable=True))


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('freeze_renewal', schema=None) as batch_op:
        batch_op.drop_column('receipt_end_on')
    with op.batch_alter_table('freeze_order', schema=None) as batch_op:
        batch_op.drop_column('queue_position')
        batch_op.drop_column('major_case_approval')
        batch_op.drop_column('listed_company')
        batch_op.drop_column('scope')
        batch_op.drop_column('covers_fruits')
        batch_op.drop_column('approval_level')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('receipt_end_on')
    _sqlite_foreign_keys(True)
