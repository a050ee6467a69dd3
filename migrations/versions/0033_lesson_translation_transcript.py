"""a video lesson's transcript in the course's other languages

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mooc_lesson_translation") as batch:
        batch.add_column(sa.Column("transcript", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mooc_lesson_translation") as batch:
        batch.drop_column("transcript")
