"""background export snapshot and large course imports (issue 10)

Revision ID: 0030
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from mooc_portal.db import UTCDateTime

revision = "0030"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_export_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("built_at", UTCDateTime(), nullable=False),
        sa.Column("courses", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("gzip_data", sa.LargeBinary(), nullable=False),
        sa.Column("brotli_data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_export_snapshot")),
    )
    op.create_table(
        "mooc_course_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("apply", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'done', 'failed')", name=op.f("ck_mooc_course_import_state")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_course_import_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_course_import_account_id_mooc_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_course_import")),
    )
    op.create_index(
        op.f("ix_mooc_course_import_institution_id"), "mooc_course_import", ["institution_id"]
    )
    op.create_index(op.f("ix_mooc_course_import_account_id"), "mooc_course_import", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_mooc_course_import_account_id"), table_name="mooc_course_import")
    op.drop_index(op.f("ix_mooc_course_import_institution_id"), table_name="mooc_course_import")
    op.drop_table("mooc_course_import")
    op.drop_table("mooc_export_snapshot")
