"""xapi: the Learning Record Store (credentials, statements, documents) and progress from it

Revision ID: 0020
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

revision = "0020"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_xapi_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("activity_hash", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_xapi_activity_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_activity")),
        sa.UniqueConstraint(
            "institution_id",
            "activity_hash",
            name=op.f("uq_mooc_xapi_activity_institution_id_activity_hash"),
        ),
    )
    op.create_table(
        "mooc_xapi_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("sha2", sa.String(length=128), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_xapi_attachment_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_attachment")),
        sa.UniqueConstraint(
            "institution_id", "sha2", name=op.f("uq_mooc_xapi_attachment_institution_id_sha2")
        ),
    )
    op.create_table(
        "mooc_xapi_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("name <> ''", name=op.f("ck_mooc_xapi_credential_name_not_empty")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_xapi_credential_created_by_id_mooc_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_xapi_credential_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_credential")),
        sa.UniqueConstraint("key", name=op.f("uq_mooc_xapi_credential_key")),
    )
    with op.batch_alter_table("mooc_xapi_credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_xapi_credential_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "mooc_xapi_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scope_hash", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("updated", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('state', 'activity_profile', 'agent_profile')",
            name=op.f("ck_mooc_xapi_document_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_xapi_document_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_document")),
        sa.UniqueConstraint(
            "institution_id", "key_hash", name=op.f("uq_mooc_xapi_document_institution_id_key_hash")
        ),
    )
    with op.batch_alter_table("mooc_xapi_document", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mooc_xapi_document_scope", ["institution_id", "scope_hash"], unique=False
        )

    op.create_table(
        "mooc_xapi_learner_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("home_page", sa.String(length=2048), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("agent_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_xapi_learner_link_account_id_mooc_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_learner_link")),
        sa.UniqueConstraint("agent_hash", name=op.f("uq_mooc_xapi_learner_link_agent_hash")),
    )
    with op.batch_alter_table("mooc_xapi_learner_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_xapi_learner_link_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "mooc_xapi_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("stored", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verb_hash", sa.String(length=64), nullable=False),
        sa.Column("registration", sa.Uuid(), nullable=True),
        sa.Column("target_id", sa.Uuid(), nullable=True),
        sa.Column("voiding", sa.Boolean(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["mooc_xapi_credential.id"],
            name=op.f("fk_mooc_xapi_statement_credential_id_mooc_xapi_credential"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_xapi_statement_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_statement")),
        sa.UniqueConstraint(
            "institution_id",
            "statement_id",
            name=op.f("uq_mooc_xapi_statement_institution_id_statement_id"),
        ),
    )
    with op.batch_alter_table("mooc_xapi_statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_xapi_statement_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index(
            "ix_mooc_xapi_statement_registration",
            ["institution_id", "registration", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_mooc_xapi_statement_stored", ["institution_id", "stored"], unique=False
        )
        batch_op.create_index(
            "ix_mooc_xapi_statement_target", ["institution_id", "target_id"], unique=False
        )
        batch_op.create_index(
            "ix_mooc_xapi_statement_verb", ["institution_id", "verb_hash", "id"], unique=False
        )

    op.create_table(
        "mooc_xapi_statement_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("direct", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('agent', 'activity')", name=op.f("ck_mooc_xapi_statement_link_kind")
        ),
        sa.ForeignKeyConstraint(
            ["statement_pk"],
            ["mooc_xapi_statement.id"],
            name=op.f("fk_mooc_xapi_statement_link_statement_pk_mooc_xapi_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_statement_link")),
    )
    with op.batch_alter_table("mooc_xapi_statement_link", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mooc_xapi_statement_link_key", ["key_hash", "statement_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mooc_xapi_statement_link_statement_pk"), ["statement_pk"], unique=False
        )

    op.create_table(
        "mooc_xapi_activity_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=True),
        sa.Column("activity_hash", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=2048), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_xapi_activity_mapping_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["mooc_lesson.id"],
            name=op.f("fk_mooc_xapi_activity_mapping_lesson_id_mooc_lesson"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mooc_course_run.id"],
            name=op.f("fk_mooc_xapi_activity_mapping_run_id_mooc_course_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_activity_mapping")),
        sa.UniqueConstraint(
            "institution_id",
            "activity_hash",
            name=op.f("uq_mooc_xapi_activity_mapping_institution_id_activity_hash"),
        ),
    )
    with op.batch_alter_table("mooc_xapi_activity_mapping", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_xapi_activity_mapping_lesson_id"), ["lesson_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mooc_xapi_activity_mapping_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "mooc_xapi_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_pk", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=True),
        sa.Column("enrollment_id", sa.Integer(), nullable=True),
        sa.Column("agent_hash", sa.String(length=64), nullable=False),
        sa.Column("agent", sa.Text(), nullable=False),
        sa.Column("effect", sa.String(length=16), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('applied', 'unknown_learner', 'not_enrolled', 'undone')",
            name=op.f("ck_mooc_xapi_outcome_status"),
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["mooc_enrollment.id"],
            name=op.f("fk_mooc_xapi_outcome_enrollment_id_mooc_enrollment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_xapi_outcome_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["mooc_lesson.id"],
            name=op.f("fk_mooc_xapi_outcome_lesson_id_mooc_lesson"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mooc_course_run.id"],
            name=op.f("fk_mooc_xapi_outcome_run_id_mooc_course_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_pk"],
            ["mooc_xapi_statement.id"],
            name=op.f("fk_mooc_xapi_outcome_statement_pk_mooc_xapi_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_outcome")),
        sa.UniqueConstraint("statement_pk", name=op.f("uq_mooc_xapi_outcome_statement_pk")),
    )
    with op.batch_alter_table("mooc_xapi_outcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_xapi_outcome_enrollment_id"), ["enrollment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mooc_xapi_outcome_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            "ix_mooc_xapi_outcome_waiting", ["institution_id", "status", "agent_hash"], unique=False
        )

    op.create_table(
        "mooc_xapi_reported_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("updated_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "percent BETWEEN 0 AND 100", name=op.f("ck_mooc_xapi_reported_progress_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["mooc_enrollment.id"],
            name=op.f("fk_mooc_xapi_reported_progress_enrollment_id_mooc_enrollment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_xapi_reported_progress")),
        sa.UniqueConstraint(
            "enrollment_id", name=op.f("uq_mooc_xapi_reported_progress_enrollment_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("mooc_xapi_reported_progress")
    with op.batch_alter_table("mooc_xapi_outcome", schema=None) as batch_op:
        batch_op.drop_index("ix_mooc_xapi_outcome_waiting")
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_outcome_run_id"))
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_outcome_enrollment_id"))

    op.drop_table("mooc_xapi_outcome")
    with op.batch_alter_table("mooc_xapi_activity_mapping", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_activity_mapping_run_id"))
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_activity_mapping_lesson_id"))

    op.drop_table("mooc_xapi_activity_mapping")
    with op.batch_alter_table("mooc_xapi_statement_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_statement_link_statement_pk"))
        batch_op.drop_index("ix_mooc_xapi_statement_link_key")

    op.drop_table("mooc_xapi_statement_link")
    with op.batch_alter_table("mooc_xapi_statement", schema=None) as batch_op:
        batch_op.drop_index("ix_mooc_xapi_statement_verb")
        batch_op.drop_index("ix_mooc_xapi_statement_target")
        batch_op.drop_index("ix_mooc_xapi_statement_stored")
        batch_op.drop_index("ix_mooc_xapi_statement_registration")
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_statement_credential_id"))

    op.drop_table("mooc_xapi_statement")
    with op.batch_alter_table("mooc_xapi_learner_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_learner_link_account_id"))

    op.drop_table("mooc_xapi_learner_link")
    with op.batch_alter_table("mooc_xapi_document", schema=None) as batch_op:
        batch_op.drop_index("ix_mooc_xapi_document_scope")

    op.drop_table("mooc_xapi_document")
    with op.batch_alter_table("mooc_xapi_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_xapi_credential_institution_id"))

    op.drop_table("mooc_xapi_credential")
    op.drop_table("mooc_xapi_attachment")
    op.drop_table("mooc_xapi_activity")
