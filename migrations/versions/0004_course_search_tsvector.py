"""Course search on PostgreSQL: a stored tsvector column, so ranking need not re-parse documents.

Ranking by ``ts_rank(to_tsvector('simple', document), query)`` parsed every matching document
again on each search (the expression index serves the match, not the rank): the catalog
benchmark spent most of its time there. A generated column keeps the vector; the GIN index
(same name as before) now indexes the column. SQLite keeps its FTS5 table: nothing changes there.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_mooc_course_search_tsv")
    op.execute(
        "ALTER TABLE mooc_course_search ADD COLUMN document_tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', document)) STORED"
    )
    op.execute(
        "CREATE INDEX ix_mooc_course_search_tsv ON mooc_course_search USING gin (document_tsv)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_mooc_course_search_tsv")
    op.execute("ALTER TABLE mooc_course_search DROP COLUMN document_tsv")
    op.execute(
        "CREATE INDEX ix_mooc_course_search_tsv ON mooc_course_search "
        "USING gin (to_tsvector('simple', document))"
    )
