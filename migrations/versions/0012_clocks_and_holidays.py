"""the clocks the law sets: holiday calendar overrides, court execution (referral, execution case,
extension, service of the judgment, execution receipts)

Revision ID: 0012_clocks_and_holidays
Revises: 0011_case_origins
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_clocks_and_holidays'
down_revision = '0011_case_origins'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_override',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('holiday', 'workday', name='daykind', native_enum=False, length=32), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_calendar_override_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_override'))
    )
    op.create_table('judgment_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('judgment_id', sa.Integer(), nullable=False),
    sa.Column('holder_agency_id', sa.Integer(), nullable=True),
    sa.Column('institution', sa.String(length=200), nullable=True),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('receipt_no', sa.String(length=64), nullable=True),
    sa.Column('receipt_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['holder_agency_id'], ['agency.id'], name=op.f('fk_judgment_service_holder_agency_id_agency')),
    sa.ForeignKeyConstraint(['judgment_id'], ['case_judgment.id'], name=op.f('fk_judgment_service_judgment_id_case_judgment')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_judgment_service_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judgment_service'))
    )
    with op.batch_alter_table('judgment_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_judgment_service_judgment_id'), ['judgment_id'], unique=False)
    with op.batch_alter_table('case_judgment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referred_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('execution_case_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('execution_opened_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('extended_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('extension_approval', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('case_judgment', schema=None) as batch_op:
        batch_op.drop_column('extension_approval')
        batch_op.drop_column('extended_until')
        batch_op.drop_column('execution_opened_on')
        batch_op.drop_column('execution_case_no')
        batch_op.drop_column('referred_on')
    with op.batch_alter_table('judgment_service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judgment_service_judgment_id'))
    op.drop_table('judgment_service')
    op.drop_table('calendar_override')
