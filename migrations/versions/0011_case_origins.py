"""case origins and procedural moves: procuratorate, supervisory referral, private prosecution,
appeal, transfer of jurisdiction, merged cases, supplementary inquiry

Revision ID: 0011_case_origins
Revises: 0010_disposals_before_judgment
Create Date: 2026-12-04

A case is opened by the police, the procuratorate (自侦 or on referral from a supervisory
commission) or the court (自诉): the police number is no longer required. Existing cases were all
opened by the police. On SQLite the table is rebuilt to drop NOT NULL; the rebuild drops the old
table, which rows of other tables reference, so foreign keys are switched off around it and checked
after it (SQLite's documented procedure for such changes).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_case_origins'
down_revision = '0010_disposals_before_judgment'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on):
    """SQLite's own recipe for rebuilding a referenced table: foreign keys off (only possible outside
    a transaction), rebuild, check, on again."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.get_context().autocommit_block():
        if on:
            problems = op.get_bind().exec_driver_sql('PRAGMA foreign_key_check').fetchall()
            if problems:
                raise RuntimeError(f'foreign key problems after the rebuild: {problems[:5]}')
        op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('criminal_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.Enum('police_filing', 'procuratorate_investigation', 'supervisory_referral', 'private_prosecution', name='caseorigin', native_enum=False, length=32), server_default='police_filing', nullable=False))
        batch_op.add_column(sa.Column('referring_body', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('appeal_court_agency_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('appeal_case_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.alter_column('police_agency_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column('police_case_no', existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_criminal_case_appeal_court_agency_id_agency'), 'agency', ['appeal_court_agency_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_criminal_case_merged_into_id_criminal_case'), 'criminal_case', ['merged_into_id'], ['id'])
    _sqlite_foreign_keys(True)

    op.create_table('case_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('stage_advance', 'inquiry_sent', 'inquiry_returned', 'merge', name='casemovekind', native_enum=False, length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('doc_no', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('other_case_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_case_move_agency_id_agency')),
    sa.ForeignKeyConstraint(['case_id'], ['criminal_case.id'], name=op.f('fk_case_move_case_id_criminal_case')),
    sa.ForeignKeyConstraint(['other_case_id'], ['criminal_case.id'], name=op.f('fk_case_move_other_case_id_criminal_case')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_case_move_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_move'))
    )
    with op.batch_alter_table('case_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_move_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_move_case_id'))
    op.drop_table('case_move')
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('criminal_case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_criminal_case_merged_into_id_criminal_case'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_criminal_case_appeal_court_agency_id_agency'), type_='foreignkey')
        batch_op.alter_column('police_case_no', existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.alter_column('police_agency_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('appeal_case_no')
        batch_op.drop_column('appeal_court_agency_id')
        batch_op.drop_column('referring_body')
        batch_op.drop_column('origin')
    _sqlite_foreign_keys(True)
