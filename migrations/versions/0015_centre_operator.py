"""centre operator: a custody centre may be run by an operator agency whose keepers act for every
custodian agency (三方共管 with a neutral or third-party operator); case participants that see a case
only through their keepers

Revision ID: 0015_centre_operator
Revises: 0040_money
Create Date: 2026-12-05

Plain ADD COLUMN on SQLite too (a nullable column with a foreign key, a NOT NULL column with a
default): no table rebuild of rows other tables reference.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_centre_operator"
down_revision = "0040_money"
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on):
    """SQLite rebuilds a table to drop a column that has a foreign key; the rebuild drops the old table,
    which other rows reference: foreign keys off around it (only possible outside a transaction),
    checked after — SQLite's documented procedure."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.get_context().autocommit_block():
        if on:
            problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"foreign key problems after the rebuild: {problems[:5]}")
        op.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE custody_centre ADD COLUMN operator_agency_id INTEGER "
            "CONSTRAINT fk_custody_centre_operator_agency_id_agency REFERENCES agency (id)"
        )
    else:
        op.add_column("custody_centre", sa.Column("operator_agency_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_custody_centre_operator_agency_id_agency"),
            "custody_centre",
            "agency",
            ["operator_agency_id"],
            ["id"],
        )
    op.add_column(
        "case_participant",
        sa.Column("keepers_only", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE case_participant DROP COLUMN keepers_only")
        _sqlite_foreign_keys(False)
        with op.batch_alter_table("custody_centre", schema=None) as batch_op:
            batch_op.drop_column("operator_agency_id")
        _sqlite_foreign_keys(True)
        return
    op.drop_column("case_participant", "keepers_only")
    op.drop_constraint(
        op.f("fk_custody_centre_operator_agency_id_agency"), "custody_centre", type_="foreignkey"
    )
    op.drop_column("custody_centre", "operator_agency_id")
