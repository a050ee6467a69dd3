"""xapi: stored statements immutable in the database; documents name their agent for erasure

Revision ID: 0022x
Revises: 0030

A trigger refuses an UPDATE of a stored statement's content and a DELETE of a statement
unless the transaction holds a row of ``mooc_xapi_erasure`` (erasure writes one for its own
transaction; ``credential_id`` may still be set to NULL when a credential goes). State and
agent profile documents get the hash of their agent's identity (``agent_hash``) and their
activity, so that erasure and the data download find a learner's documents; documents
written before this revision have neither (their scope is stored only as a hash).
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

revision = "0022x"
down_revision = "0030"
branch_labels = None
depends_on = None

CONTENT = (
    "id",
    "institution_id",
    "statement_id",
    "stored",
    "verb_hash",
    "registration",
    "target_id",
    "voiding",
    "document",
)
IMMUTABLE = "a stored xAPI statement is immutable"
ERASURE_ONLY = "a stored xAPI statement is deleted only by erasure"


def upgrade() -> None:
    op.create_table(
        "mooc_xapi_erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_erasure")),
    )
    with op.batch_alter_table("mooc_xapi_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("activity_id", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_mooc_xapi_document_agent_hash"), ["agent_hash"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        old = ", ".join(f"OLD.{c}" for c in CONTENT)
        new = ", ".join(f"NEW.{c}" for c in CONTENT)
        op.execute(
            f"""
            CREATE FUNCTION mooc_xapi_statement_immutable() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    IF ({new}) IS DISTINCT FROM ({old}) THEN
                        RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                END IF;
                IF NOT EXISTS (SELECT 1 FROM mooc_xapi_erasure) THEN
                    RAISE EXCEPTION '{ERASURE_ONLY}' USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN OLD;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER mooc_xapi_statement_immutable"
            " BEFORE UPDATE OR DELETE ON mooc_xapi_statement"
            " FOR EACH ROW EXECUTE FUNCTION mooc_xapi_statement_immutable()"
        )
    else:
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)
        op.execute(
            "CREATE TRIGGER mooc_xapi_statement_no_update"
            " BEFORE UPDATE ON mooc_xapi_statement"
            f" WHEN {changed}"
            f" BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END"
        )
        op.execute(
            "CREATE TRIGGER mooc_xapi_statement_no_delete"
            " BEFORE DELETE ON mooc_xapi_statement"
            " WHEN NOT EXISTS (SELECT 1 FROM mooc_xapi_erasure)"
            f" BEGIN SELECT RAISE(ABORT, '{ERASURE_ONLY}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER mooc_xapi_statement_immutable ON mooc_xapi_statement")
        op.execute("DROP FUNCTION mooc_xapi_statement_immutable()")
    else:
        op.execute("DROP TRIGGER mooc_xapi_statement_no_update")
        op.execute("DROP TRIGGER mooc_xapi_statement_no_delete")
    with op.batch_alter_table("mooc_xapi_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_document_agent_hash"))
        batch_op.drop_column("activity_id")
        batch_op.drop_column("agent_hash")
    op.drop_table("mooc_xapi_erasure")
