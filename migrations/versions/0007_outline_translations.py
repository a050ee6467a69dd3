"""outline translations: module titles and lesson titles and content in other languages

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_module_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.CheckConstraint("title <> ''", name=op.f("ck_mooc_module_translation_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["mooc_module.id"],
            name=op.f("fk_mooc_module_translation_module_id_mooc_module"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_module_translation")),
        sa.UniqueConstraint(
            "module_id", "language", name=op.f("uq_mooc_module_translation_module_id_language")
        ),
    )
    op.create_table(
        "mooc_lesson_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.CheckConstraint("title <> ''", name=op.f("ck_mooc_lesson_translation_title_not_empty")),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["mooc_lesson.id"],
            name=op.f("fk_mooc_lesson_translation_lesson_id_mooc_lesson"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_lesson_translation")),
        sa.UniqueConstraint(
            "lesson_id", "language", name=op.f("uq_mooc_lesson_translation_lesson_id_language")
        ),
    )


def downgrade() -> None:
    op.drop_table("mooc_lesson_translation")
    op.drop_table("mooc_module_translation")
