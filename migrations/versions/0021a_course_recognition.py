"""recognition and lifelong learning: what a course's credential is worth, whom it is for; the
kind of each partner (issue 14)

Revision ID: 0021a
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0021a"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_course_recognition",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("workload_hours", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("eqf_level", sa.Integer(), nullable=True),
        sa.Column("national_framework", sa.String(length=200), nullable=True),
        sa.Column("assessment", sa.String(length=20), nullable=False),
        sa.Column("identity_check", sa.Boolean(), nullable=False),
        sa.Column("quality_assurance", sa.String(length=200), nullable=True),
        sa.Column("prerequisites", sa.Text(), nullable=True),
        sa.Column("stackable", sa.Boolean(), nullable=False),
        sa.Column("tvet", sa.Boolean(), nullable=False),
        sa.Column("lifelong_learning", sa.Boolean(), nullable=False),
        sa.Column("with_industry", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "assessment IN ('none', 'automated', 'proctored', 'supervised_on_site')",
            name=op.f("ck_mooc_course_recognition_assessment"),
        ),
        sa.CheckConstraint(
            "eqf_level IS NULL OR eqf_level BETWEEN 1 AND 8",
            name=op.f("ck_mooc_course_recognition_eqf_level"),
        ),
        sa.CheckConstraint(
            "workload_hours IS NULL OR workload_hours > 0",
            name=op.f("ck_mooc_course_recognition_workload_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_course_recognition_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_mooc_course_recognition")),
    )
    for column in ("tvet", "lifelong_learning", "with_industry"):
        op.create_index(
            op.f(f"ix_mooc_course_recognition_{column}"), "mooc_course_recognition", [column]
        )
    with op.batch_alter_table("mooc_institution") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="university")
        )
        batch.create_check_constraint(
            "kind", "kind IN ('university', 'vocational', 'company', 'association', 'other')"
        )


def downgrade() -> None:
    with op.batch_alter_table("mooc_institution") as batch:
        batch.drop_constraint("kind", type_="check")
        batch.drop_column("kind")
    for column in ("tvet", "lifelong_learning", "with_industry"):
        op.drop_index(
            op.f(f"ix_mooc_course_recognition_{column}"), table_name="mooc_course_recognition"
        )
    op.drop_table("mooc_course_recognition")
