"""Second factor: TOTP secrets, recovery codes, confirmation time of login sessions.

Revision ID: 0031_mfa
Revises: 0030_login_throttling
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031_mfa'
down_revision = '0030_login_throttling'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs on SQLite too (no batch rebuild of tables other tables point at).
    op.add_column('user_account', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('user_account', sa.Column('totp_enrolled_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user_account', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.add_column('login_session', sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'mfa_recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_mfa_recovery_code_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_recovery_code')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_mfa_recovery_code_code_hash')),
    )
    with op.batch_alter_table('mfa_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('mfa_recovery_code')
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in (
        ('login_session', ('confirmed_at',)),
        ('user_account', ('totp_last_step', 'totp_enrolled_at', 'totp_secret')),
    ):
        for column in columns:
            if sqlite:
                op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
            else:
                op.drop_column(table, column)
