"""media files: uploaded images in the database, so that every host serves them

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_media_file",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mooc_media_file")),
    )


def downgrade() -> None:
    op.drop_table("mooc_media_file")
