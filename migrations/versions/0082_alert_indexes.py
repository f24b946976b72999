"""alerts at city scale (issue 15): an agency's items of one category — index (category,
custodian_agency_id), replacing (category) — and the sale proceeds' entry of a disposal line, asked
for every undeposited cash item

Revision ID: 0082_alert_indexes
Revises: 0081_check_in_receipts
Create Date: 2026-12-06
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0082_alert_indexes'
down_revision = '0081_check_in_receipts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_category'))
        batch_op.create_index('ix_item_category_custodian_agency_id', ['category', 'custodian_agency_id'], unique=False)
    with op.batch_alter_table('disposition_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposition_line_proceeds_item_id'), ['proceeds_item_id'], unique=False)


def downgrade():
    with op.batch_alter_table('disposition_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposition_line_proceeds_item_id'))
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_category_custodian_agency_id')
        batch_op.create_index(batch_op.f('ix_item_category'), ['category'], unique=False)
