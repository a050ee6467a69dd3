"""progress tracking: lessons completed per enrolment, and the last lesson each learner visited

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_lesson_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("completed_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["mooc_enrollment.id"],
            name=op.f("fk_mooc_lesson_completion_enrollment_id_mooc_enrollment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["mooc_lesson.id"],
            name=op.f("fk_mooc_lesson_completion_lesson_id_mooc_lesson"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_lesson_completion")),
        sa.UniqueConstraint(
            "enrollment_id",
            "lesson_id",
            name=op.f("uq_mooc_lesson_completion_enrollment_id_lesson_id"),
        ),
    )
    with op.batch_alter_table("mooc_lesson_completion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_lesson_completion_lesson_id"), ["lesson_id"], unique=False
        )

    op.create_table(
        "mooc_lesson_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=True),
        sa.Column("visited_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["mooc_enrollment.id"],
            name=op.f("fk_mooc_lesson_visit_enrollment_id_mooc_enrollment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["mooc_lesson.id"],
            name=op.f("fk_mooc_lesson_visit_lesson_id_mooc_lesson"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_lesson_visit")),
        sa.UniqueConstraint("enrollment_id", name=op.f("uq_mooc_lesson_visit_enrollment_id")),
    )
    with op.batch_alter_table("mooc_lesson_visit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_lesson_visit_lesson_id"), ["lesson_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mooc_lesson_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_lesson_visit_lesson_id"))
    op.drop_table("mooc_lesson_visit")
    with op.batch_alter_table("mooc_lesson_completion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_lesson_completion_lesson_id"))
    op.drop_table("mooc_lesson_completion")
