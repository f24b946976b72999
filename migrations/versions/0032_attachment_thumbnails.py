"""Attachment thumbnails: the SHA-256 of the thumbnail made once from a decoded image.

Images uploaded before this revision have none; each gets one the first time its thumbnail is
viewed (made from the verified original, stored, and its hash recorded), so this migration reads
no files.

Revision ID: 0032_attachment_thumbnails
Revises: 0025_visibility_accepted
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032_attachment_thumbnails'
down_revision = '0025_visibility_accepted'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on SQLite too (no batch rebuild of a table other tables point at).
    op.add_column('attachment', sa.Column('thumbnail_sha256', sa.String(length=64), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE attachment DROP COLUMN thumbnail_sha256")
    else:
        op.drop_column('attachment', 'thumbnail_sha256')
