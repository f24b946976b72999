"""restitution lines name the judgment's order of money they pay

Revision ID: 0045_plan_line_orders
Revises: 0043_judgment_orders
Create Date: 2026-12-06

A restitution plan generated from the judgment's orders (pay to a victim, confiscate an amount) has
one line per order; ``restitution_line.order_id`` links the line to its order, so paying the line
marks the order executed (its receipt then goes back to the court).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0045_plan_line_orders'
down_revision = '0043_judgment_orders'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('restitution_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_restitution_line_order_id'), ['order_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_restitution_line_order_id_judgment_order'), 'judgment_order', ['order_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('restitution_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_restitution_line_order_id_judgment_order'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_restitution_line_order_id'))
        batch_op.drop_column('order_id')
