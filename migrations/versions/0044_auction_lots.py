"""Money as money, part 2 (issue 13): auction lots on a sale disposal.

Revision ID: 0044_auction_lots
Revises: 0080_location_holds

A sale disposal may record the judicial auction's lot (reference, buyer) and how its total price was
split over the items (the auction's own prices, by appraised value, or equally).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0044_auction_lots'
down_revision = '0080_location_holds'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no batch rebuild of a table other tables point at).
    op.add_column('disposition', sa.Column('lot_auction_ref', sa.String(length=64), nullable=True))
    op.add_column('disposition', sa.Column('lot_buyer', sa.String(length=200), nullable=True))
    op.add_column('disposition', sa.Column('lot_split', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('disposition') as batch:
        batch.drop_column('lot_split')
        batch.drop_column('lot_buyer')
        batch.drop_column('lot_auction_ref')
