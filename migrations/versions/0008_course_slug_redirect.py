"""course slug redirects: a course's earlier web addresses lead to its page

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_course_slug_redirect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_course_slug_redirect_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_course_slug_redirect")),
        sa.UniqueConstraint("slug", name=op.f("uq_mooc_course_slug_redirect_slug")),
    )
    op.create_index(
        op.f("ix_mooc_course_slug_redirect_course_id"),
        "mooc_course_slug_redirect",
        ["course_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_mooc_course_slug_redirect_course_id"), table_name="mooc_course_slug_redirect"
    )
    op.drop_table("mooc_course_slug_redirect")
