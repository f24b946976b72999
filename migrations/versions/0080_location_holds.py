"""Storage locations say what they hold (general items, cash and valuables, vehicles and vessels).

Revision ID: 0080_location_holds
Revises: 0041_money_case_index

Existing locations hold general items; rooms whose name says 贵重 (valuables) or 车 (vehicles) are
marked accordingly, with everything under them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0080_location_holds'
down_revision = '0041_money_case_index'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on SQLite too (no batch rebuild of a table other tables point at).
    op.add_column(
        'storage_location',
        sa.Column('holds', sa.String(length=32), server_default='general', nullable=False),
    )
    location = sa.table(
        'storage_location',
        sa.column('id', sa.Integer),
        sa.column('parent_id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('holds', sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(location.c.id, location.c.parent_id, location.c.name)).all()
    parent = {row.id: row.parent_id for row in rows}
    name = {row.id: row.name for row in rows}

    def holds(location_id):
        while location_id is not None:
            if '车' in name[location_id] or '船' in name[location_id]:
                return 'vehicles'
            if '贵重' in name[location_id] or '保险柜' in name[location_id]:
                return 'valuables'
            location_id = parent[location_id]
        return 'general'

    for row in rows:
        value = holds(row.id)
        if value != 'general':
            bind.execute(location.update().where(location.c.id == row.id).values(holds=value))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE storage_location DROP COLUMN holds")
        return
    with op.batch_alter_table('storage_location', schema=None) as batch_op:
        batch_op.drop_column('holds')
