"""Login throttling per address and for unknown usernames; admin-set passwords changed at first login.

Revision ID: 0030_login_throttling
Revises: 0014_not_stricter_than_law
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030_login_throttling'
down_revision = '0014_not_stricter_than_law'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on SQLite too: a batch "move and copy" of user_account would fail on the
    # foreign keys that point at it in a database in use.
    op.add_column(
        'user_account',
        sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        'login_throttle',
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('failed_login_count', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('username', name=op.f('pk_login_throttle')),
    )
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ip', sa.String(length=64), nullable=False),
        sa.Column('device', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_attempted_at'), ['attempted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_device'), ['device'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_ip'), ['ip'], unique=False)


def downgrade():
    op.drop_table('login_failure')
    op.drop_table('login_throttle')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE user_account DROP COLUMN must_change_password")
        return
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
