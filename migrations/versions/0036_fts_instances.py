"""SQLite: the search index's token instances as a table (fts5vocab), from which the catalog
search reads a text's matches with their term frequencies and ranks them in memory (issue 16)

Revision ID: 0036
Revises: 0035
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE mooc_course_fts_instance"
            " USING fts5vocab(mooc_course_fts, instance)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE mooc_course_fts_instance")
