"""video lessons (video address and transcript), and the course picture's text alternative

Revision ID: 0032
Revises: 0031
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mooc_lesson") as batch:
        batch.add_column(sa.Column("video_url", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("transcript", sa.Text(), nullable=True))
    with op.batch_alter_table("mooc_course") as batch:
        batch.add_column(sa.Column("image_alt", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mooc_course") as batch:
        batch.drop_column("image_alt")
    with op.batch_alter_table("mooc_lesson") as batch:
        batch.drop_column("transcript")
        batch.drop_column("video_url")
