"""Check-in receipts (入库交接单): one per check-in batch, with its lines.

Revision ID: 0081_check_in_receipts
Revises: 0044_auction_lots

Creates ``check_in_receipt`` (number RK-…, the receiving keeper's agency, the location, who handed the
items over, the keeper who received them, when) and ``check_in_receipt_line`` (one per item, with its
condition on receipt). Existing check-ins have no receipt.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0081_check_in_receipts'
down_revision = '0044_auction_lots'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_in_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=40), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('handed_over_by', sa.String(length=64), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_check_in_receipt_agency_id_agency')),
    sa.ForeignKeyConstraint(['location_id'], ['storage_location.id'], name=op.f('fk_check_in_receipt_location_id_storage_location')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user_account.id'], name=op.f('fk_check_in_receipt_received_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_receipt')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_check_in_receipt_receipt_no'))
    )
    with op.batch_alter_table('check_in_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_receipt_agency_id'), ['agency_id'], unique=False)

    op.create_table('check_in_receipt_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('condition', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_check_in_receipt_line_item_id_item')),
    sa.ForeignKeyConstraint(['receipt_id'], ['check_in_receipt.id'], name=op.f('fk_check_in_receipt_line_receipt_id_check_in_receipt')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_receipt_line')),
    sa.UniqueConstraint('receipt_id', 'item_id', name=op.f('uq_check_in_receipt_line_receipt_id_item_id'))
    )
    with op.batch_alter_table('check_in_receipt_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_receipt_line_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_receipt_line_receipt_id'), ['receipt_id'], unique=False)


def downgrade():
    with op.batch_alter_table('check_in_receipt_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_receipt_line_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_check_in_receipt_line_item_id'))
    op.drop_table('check_in_receipt_line')
    with op.batch_alter_table('check_in_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_receipt_agency_id'))
    op.drop_table('check_in_receipt')
