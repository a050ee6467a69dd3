"""search spelling: the catalog's words, for "Did you mean ...?" (issue 12)

PostgreSQL finds near words with ``pg_trgm`` (a GIN ``gin_trgm_ops`` index); SQLite, which has
no such extension, with a table of each word's trigrams. The upgrade fills the words from the
stored search documents (the same code ``flask portal reindex`` runs).

Revision ID: 0022
Revises: 0022x
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0022x"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    word = sa.String(length=40, collation="C") if postgresql else sa.String(length=40)
    op.create_table(
        "mooc_search_word",
        sa.Column("word", word, nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_mooc_search_word")),
    )
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_mooc_search_word_trgm ON mooc_search_word "
            "USING gin (word gin_trgm_ops)"
        )
    else:
        op.execute(
            "CREATE TABLE mooc_search_trigram (trigram TEXT NOT NULL, word TEXT NOT NULL, "
            "PRIMARY KEY (trigram, word)) WITHOUT ROWID"
        )
    from mooc_portal.catalog.spelling import rebuild_words

    rebuild_words(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_mooc_search_word_trgm")
    else:
        op.execute("DROP TABLE IF EXISTS mooc_search_trigram")
    op.drop_table("mooc_search_word")
