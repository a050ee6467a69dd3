"""insights: the summaries the figures read (activity cube, run funnels, snapshot)

Revision ID: 0021
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from mooc_portal.db import UTCDateTime

revision = "0021"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_insight_activity",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=2), nullable=False),
        sa.Column("learner_country", sa.String(length=2), nullable=False),
        sa.Column("learner_region", sa.String(length=6), nullable=False),
        sa.Column("offering_region", sa.String(length=6), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("certified", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_insight_activity_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "month",
            "institution_id",
            "field",
            "learner_country",
            name=op.f("pk_mooc_insight_activity"),
        ),
    )
    op.create_index(
        "ix_mooc_insight_activity_field_month", "mooc_insight_activity", ["field", "month"]
    )
    op.create_table(
        "mooc_insight_run",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("start_month", sa.String(length=7), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("halfway", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("certified", sa.Integer(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mooc_course_run.id"],
            name=op.f("fk_mooc_insight_run_run_id_mooc_course_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_insight_run_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_insight_run_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_mooc_insight_run")),
    )
    op.create_index(
        op.f("ix_mooc_insight_run_institution_id"), "mooc_insight_run", ["institution_id"]
    )
    op.create_table(
        "mooc_insight_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", UTCDateTime(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("asia_learners", sa.Integer(), nullable=False),
        sa.Column("europe_learners", sa.Integer(), nullable=False),
        sa.Column("learner_countries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_insight_snapshot")),
    )


def downgrade() -> None:
    op.drop_table("mooc_insight_snapshot")
    op.drop_index(op.f("ix_mooc_insight_run_institution_id"), table_name="mooc_insight_run")
    op.drop_table("mooc_insight_run")
    op.drop_index("ix_mooc_insight_activity_field_month", table_name="mooc_insight_activity")
    op.drop_table("mooc_insight_activity")
