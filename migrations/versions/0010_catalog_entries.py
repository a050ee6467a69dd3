"""catalog entries: one narrow row per public course with its availability boundaries, and
facet counts per institution, level and pace (issue 16)

The search reads these instead of computing each course's availability from its runs and
counting the whole catalog on every request. The upgrade fills them from the stored courses
(the same code ``flask portal reindex`` runs).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WINDOWS = 3


def upgrade() -> None:
    moment = mooc_portal.db.UTCDateTime()
    op.create_table(
        "mooc_catalog_entry",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("pace", sa.String(length=20), nullable=False),
        sa.Column("published_at", moment, nullable=True),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        *(
            sa.Column(f"open_{end}_{n}", moment, nullable=False)
            for n in range(1, WINDOWS + 1)
            for end in ("from", "until")
        ),
        sa.Column("upcoming_until", moment, nullable=False),
        sa.Column("running_until", moment, nullable=False),
        sa.Column("unscheduled", sa.Boolean(), nullable=False),
        sa.Column("overflow", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_catalog_entry_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_catalog_entry_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_mooc_catalog_entry")),
    )
    op.create_index(
        "ix_mooc_catalog_entry_newest",
        "mooc_catalog_entry",
        [sa.text("published_at DESC"), "course_id"],
    )
    op.create_table(
        "mooc_catalog_facet_count",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("pace", sa.String(length=20), nullable=False),
        sa.Column("facet", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=35), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.CheckConstraint("n >= 0", name=op.f("ck_mooc_catalog_facet_count_n_not_negative")),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_catalog_facet_count_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "institution_id",
            "country",
            "region",
            "level",
            "pace",
            "facet",
            "value",
            name=op.f("pk_mooc_catalog_facet_count"),
        ),
    )
    from mooc_portal.catalog.entries import rebuild_entries

    rebuild_entries(op.get_bind(), record=False)  # versions begin in 0035


def downgrade() -> None:
    op.drop_table("mooc_catalog_facet_count")
    op.drop_table("mooc_catalog_entry")
