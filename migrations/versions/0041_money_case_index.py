"""money: the case's sub-ledger is read newest first a page at a time — index (case_id, id)

Revision ID: 0041_money_case_index
Revises: 0032_attachment_thumbnails
Create Date: 2026-12-05
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0041_money_case_index'
down_revision = '0032_attachment_thumbnails'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('money_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_money_movement_case_id'))
        batch_op.create_index('ix_money_movement_case_id_id', ['case_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('money_movement', schema=None) as batch_op:
        batch_op.drop_index('ix_money_movement_case_id_id')
        batch_op.create_index(batch_op.f('ix_money_movement_case_id'), ['case_id'], unique=False)
