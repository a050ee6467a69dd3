"""outline removals kept for undo: a snapshot of a removed module or lesson

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_outline_removal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("removed_at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('module', 'lesson')", name=op.f("ck_mooc_outline_removal_kind")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_outline_removal_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_outline_removal")),
        sa.UniqueConstraint("uuid", name=op.f("uq_mooc_outline_removal_uuid")),
    )
    op.create_index(
        op.f("ix_mooc_outline_removal_course_id"), "mooc_outline_removal", ["course_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mooc_outline_removal_course_id"), table_name="mooc_outline_removal")
    op.drop_table("mooc_outline_removal")
