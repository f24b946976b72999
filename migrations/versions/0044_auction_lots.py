"""Money as money, part 2 (issue 13): auction lots on a sale disposal; a victim's lookup number and code.

Revision ID: 0044_auction_lots
Revises: 0045_plan_line_orders

A sale disposal may record the judicial auction's lot (reference, buyer) and how its total price was
split over the items (the auction's own prices, by appraised value, or equally). Each victim gets a
lookup number and code to see their own restitution status (victims recorded before get theirs now).
"""
import secrets

from alembic import op
import sqlalchemy as sa

CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'  # as custody.domain.owner_lookup, frozen here


# revision identifiers, used by Alembic.
revision = '0044_auction_lots'
down_revision = '0045_plan_line_orders'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (no batch rebuild of a table other tables point at).
    op.add_column('disposition', sa.Column('lot_auction_ref', sa.String(length=64), nullable=True))
    op.add_column('disposition', sa.Column('lot_buyer', sa.String(length=200), nullable=True))
    op.add_column('disposition', sa.Column('lot_split', sa.String(length=32), nullable=True))
    op.add_column('victim', sa.Column('lookup_no', sa.String(length=32), nullable=True))
    op.add_column('victim', sa.Column('lookup_code', sa.String(length=16), nullable=True))
    victim = sa.table(
        'victim',
        sa.column('id', sa.Integer),
        sa.column('lookup_no', sa.String),
        sa.column('lookup_code', sa.String),
    )
    bind = op.get_bind()
    for (victim_id,) in bind.execute(sa.select(victim.c.id)).all():
        bind.execute(
            victim.update()
            .where(victim.c.id == victim_id)
            .values(
                lookup_no=f'BHR-{victim_id:08d}',
                lookup_code=''.join(secrets.choice(CODE_ALPHABET) for _ in range(16)),
            )
        )
    op.create_index('ix_victim_lookup_no', 'victim', ['lookup_no'], unique=True)


def downgrade():
    op.drop_index('ix_victim_lookup_no', table_name='victim')
    with op.batch_alter_table('victim') as batch:
        batch.drop_column('lookup_code')
        batch.drop_column('lookup_no')
    with op.batch_alter_table('disposition') as batch:
        batch.drop_column('lot_split')
        batch.drop_column('lot_buyer')
        batch.drop_column('lot_auction_ref')
