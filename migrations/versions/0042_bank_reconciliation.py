"""Bank-statement reconciliation of the case-money account: statements, their lines (each matched
to at most one movement, a movement to at most one line), resolutions of unmatched movements.

Revision ID: 0042_bank_reconciliation
Revises: 0080_location_holds
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0042_bank_reconciliation'
down_revision = '0080_location_holds'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('bank_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('credits_fen', sa.BigInteger(), nullable=False),
    sa.Column('debits_fen', sa.BigInteger(), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['money_account.id'], name=op.f('fk_bank_statement_account_id_money_account')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'], name=op.f('fk_bank_statement_imported_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statement')),
    sa.UniqueConstraint('account_id', 'sha256', name=op.f('uq_bank_statement_account_id_sha256'))
    )
    with op.batch_alter_table('bank_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_statement_account_id'), ['account_id'], unique=False)

    op.create_table('statement_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('counterparty', sa.String(length=100), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('movement_id', BIG_ID, nullable=True),
    sa.Column('matched_by_id', sa.Integer(), nullable=True),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=500), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_statement_line_not_zero')),
    sa.CheckConstraint('amount_fen BETWEEN -10000000000000 AND 10000000000000', name=op.f('ck_statement_line_amount_bound')),
    sa.CheckConstraint('movement_id IS NULL OR resolution IS NULL', name=op.f('ck_statement_line_matched_or_resolved')),
    sa.ForeignKeyConstraint(['matched_by_id'], ['user_account.id'], name=op.f('fk_statement_line_matched_by_id_user_account')),
    sa.ForeignKeyConstraint(['movement_id'], ['money_movement.id'], name=op.f('fk_statement_line_movement_id_money_movement')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user_account.id'], name=op.f('fk_statement_line_resolved_by_id_user_account')),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statement.id'], name=op.f('fk_statement_line_statement_id_bank_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_line')),
    sa.UniqueConstraint('movement_id', name=op.f('uq_statement_line_movement_id')),
    sa.UniqueConstraint('statement_id', 'row_no', name=op.f('uq_statement_line_statement_id_row_no'))
    )
    with op.batch_alter_table('statement_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_line_statement_id'), ['statement_id'], unique=False)

    op.create_table('statement_movement_resolution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('movement_id', BIG_ID, nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['movement_id'], ['money_movement.id'], name=op.f('fk_statement_movement_resolution_movement_id_money_movement')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user_account.id'], name=op.f('fk_statement_movement_resolution_resolved_by_id_user_account')),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statement.id'], name=op.f('fk_statement_movement_resolution_statement_id_bank_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_movement_resolution')),
    sa.UniqueConstraint('statement_id', 'movement_id', name=op.f('uq_statement_movement_resolution_statement_id_movement_id'))
    )
    with op.batch_alter_table('statement_movement_resolution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_movement_resolution_movement_id'), ['movement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_movement_resolution_statement_id'), ['statement_id'], unique=False)


def downgrade():
    op.drop_table('statement_movement_resolution')
    op.drop_table('statement_line')
    op.drop_table('bank_statement')
