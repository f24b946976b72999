"""an agency's items awaiting check-in (issue 15): index (location_state, custodian_agency_id) —
SQLite read all of an agency's items to find the few awaiting check-in. The index on (location_state)
stays: its rows are in id order within a state, which serves a list's newest items in one state.

Revision ID: 0083_awaiting_index
Revises: 0082_alert_indexes
Create Date: 2026-12-06
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0083_awaiting_index'
down_revision = '0082_alert_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(
            'ix_item_location_state_custodian_agency_id', ['location_state', 'custodian_agency_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_location_state_custodian_agency_id')
