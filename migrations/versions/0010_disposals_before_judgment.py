"""disposals before judgment: grounds, owner notice, external witnesses, recipients, lots, refunds

Revision ID: 0010_disposals_before_judgment
Revises: 0050_witnesses
Create Date: 2026-12-04

A final disposal names its ground (the judgment, or one the law orders before it: unrelated
property, contraband, unclaimed property); a destruction's witness may be an external person (a
counterparty row); a return records who collected (owner, holder, heir, organisation, agent); an
early sale may cover a lot with one total; a confiscation of unclaimed property may be refunded
(退库). Public notices record why they run (6 months, or 1 year for court-ordered returns).
Existing final disposals were all made under a judgment or closing decision: they get that ground.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_disposals_before_judgment'
down_revision = '0050_witnesses'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on):
    """SQLite rebuilds a table to drop a column or add a foreign key; the rebuild drops the old table,
    which other rows reference: foreign keys off around it (only possible outside a transaction),
    checked after — SQLite's documented procedure."""
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
    with op.batch_alter_table('disposition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ground', sa.Enum('judgment', 'unrelated', 'contraband', 'unclaimed', name='disposalground', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('notice_ref', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('witness_kind', sa.Enum('user', 'discipline_inspector', 'other_authority', 'citizen', name='witnesskind', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('witness_counterparty_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recipient_relation', sa.Enum('owner', 'holder', 'heir', 'organisation', 'agent', name='recipientrelation', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('lot_proceeds_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('refund_doc_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refunded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_disposition_witness_counterparty_id_counterparty'), 'counterparty', ['witness_counterparty_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_disposition_refunded_by_id_user_account'), 'user_account', ['refunded_by_id'], ['id'])
    op.execute(
        "UPDATE disposition SET ground = 'judgment' "
        "WHERE kind IN ('return_to_owner', 'confiscate', 'destroy', 'hand_over')"
    )
    op.execute("UPDATE disposition SET recipient_relation = 'agent' WHERE recipient_is_agent")
    op.execute(
        "UPDATE disposition SET recipient_relation = 'owner' "
        "WHERE recipient_id IS NOT NULL AND NOT recipient_is_agent"
    )
    op.execute("UPDATE disposition SET witness_kind = 'user' WHERE witness_user_id IS NOT NULL")
    with op.batch_alter_table('public_notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('basis', sa.Enum('unrelated', 'court_ordered_return', name='noticebasis', native_enum=False, length=32), nullable=False, server_default='unrelated'))

    _sqlite_foreign_keys(True)

def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('public_notice', schema=None) as batch_op:
        batch_op.drop_column('basis')
    with op.batch_alter_table('disposition', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_disposition_refunded_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_disposition_witness_counterparty_id_counterparty'), type_='foreignkey')
        batch_op.drop_column('refunded_by_id')
        batch_op.drop_column('refunded_at')
        batch_op.drop_column('refund_doc_no')
        batch_op.drop_column('lot_proceeds_fen')
        batch_op.drop_column('recipient_relation')
        batch_op.drop_column('witness_counterparty_id')
        batch_op.drop_column('witness_kind')
        batch_op.drop_column('notice_ref')
        batch_op.drop_column('ground')
    _sqlite_foreign_keys(True)
