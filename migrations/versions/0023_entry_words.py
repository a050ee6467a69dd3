"""entry words: PostgreSQL's text search reads the narrow catalog entries (issue 16)

Each catalog entry holds the ids of its search document's lexemes (``words int[]``, from a
vocabulary table ``mooc_search_lexeme`` with the ``C`` collation, so that a prefix is a range of
its unique index) under a GIN index: a search's text matches are then entry rows, not the wide
rows of ``mooc_course_search`` followed by one entry lookup each. Triggers keep the words in step
with the documents (an entry written gets its document's words; a document written updates its
entry). SQLite keeps its FTS5 table: nothing changes there.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE mooc_search_lexeme (id serial PRIMARY KEY, "
        'lexeme text COLLATE "C" NOT NULL CONSTRAINT uq_mooc_search_lexeme_lexeme UNIQUE)'
    )
    op.execute("ALTER TABLE mooc_catalog_entry ADD COLUMN words integer[] NOT NULL DEFAULT '{}'")
    # The ids of a document's lexemes, adding the lexemes the vocabulary does not hold yet.
    op.execute(
        """
        CREATE FUNCTION mooc_lexeme_ids(document tsvector) RETURNS integer[]
        LANGUAGE plpgsql AS $$
        BEGIN
            IF document IS NULL THEN
                RETURN '{}';
            END IF;
            INSERT INTO mooc_search_lexeme (lexeme)
            SELECT t.lexeme FROM unnest(tsvector_to_array(document)) AS t(lexeme)
            WHERE NOT EXISTS (SELECT 1 FROM mooc_search_lexeme l WHERE l.lexeme = t.lexeme)
            ORDER BY t.lexeme
            ON CONFLICT DO NOTHING;
            RETURN ARRAY(
                SELECT l.id FROM unnest(tsvector_to_array(document)) AS t(lexeme)
                JOIN mooc_search_lexeme l ON l.lexeme = t.lexeme ORDER BY l.id
            );
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION mooc_catalog_entry_words() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.words := mooc_lexeme_ids(
                (SELECT document_tsv FROM mooc_course_search WHERE course_id = NEW.course_id)
            );
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER mooc_catalog_entry_words BEFORE INSERT ON mooc_catalog_entry "
        "FOR EACH ROW EXECUTE FUNCTION mooc_catalog_entry_words()"
    )
    op.execute(
        """
        CREATE FUNCTION mooc_course_search_words() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE mooc_catalog_entry SET words = mooc_lexeme_ids(NEW.document_tsv)
            WHERE course_id = NEW.course_id;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER mooc_course_search_words AFTER INSERT OR UPDATE OF document "
        "ON mooc_course_search FOR EACH ROW EXECUTE FUNCTION mooc_course_search_words()"
    )
    op.execute(
        "INSERT INTO mooc_search_lexeme (lexeme) SELECT DISTINCT t.lexeme "
        "FROM mooc_course_search, unnest(tsvector_to_array(document_tsv)) AS t(lexeme) "
        "ORDER BY 1"
    )
    op.execute(
        "UPDATE mooc_catalog_entry e SET words = ARRAY("
        "SELECT l.id FROM unnest(tsvector_to_array(s.document_tsv)) AS t(lexeme) "
        "JOIN mooc_search_lexeme l ON l.lexeme = t.lexeme ORDER BY l.id) "
        "FROM mooc_course_search s WHERE s.course_id = e.course_id"
    )
    op.execute("CREATE INDEX ix_mooc_catalog_entry_words ON mooc_catalog_entry USING gin (words)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS mooc_course_search_words ON mooc_course_search")
    op.execute("DROP TRIGGER IF EXISTS mooc_catalog_entry_words ON mooc_catalog_entry")
    op.execute("DROP FUNCTION IF EXISTS mooc_course_search_words()")
    op.execute("DROP FUNCTION IF EXISTS mooc_catalog_entry_words()")
    op.execute("DROP FUNCTION IF EXISTS mooc_lexeme_ids(tsvector)")
    op.execute("ALTER TABLE mooc_catalog_entry DROP COLUMN IF EXISTS words")
    op.execute("DROP TABLE IF EXISTS mooc_search_lexeme")
