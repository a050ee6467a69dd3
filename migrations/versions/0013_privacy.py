"""privacy: notices, sharing consents, requests, pseudonyms

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "mooc_privacy_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.String(length=300), nullable=False),
        sa.CheckConstraint("version > 0", name=op.f("ck_mooc_privacy_notice_version_positive")),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_privacy_notice_published_by_id_mooc_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_privacy_notice")),
        sa.UniqueConstraint("version", name=op.f("uq_mooc_privacy_notice_version")),
    )
    op.create_table(
        "mooc_privacy_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "kind IN ('access', 'erasure')", name=op.f("ck_mooc_privacy_request_kind")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_privacy_request_account_id_mooc_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_privacy_request")),
    )
    with op.batch_alter_table("mooc_privacy_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_privacy_request_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_mooc_privacy_request_received_at", ["received_at"], unique=False)

    op.create_table(
        "mooc_pseudonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('erasure', 'retention')", name=op.f("ck_mooc_pseudonym_reason")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_pseudonym_account_id_mooc_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_pseudonym")),
        sa.UniqueConstraint("account_id", name=op.f("uq_mooc_pseudonym_account_id")),
    )
    op.create_table(
        "mooc_notice_acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("context", sa.String(length=20), nullable=False),
        sa.Column("at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "context IN ('registration', 'login')",
            name=op.f("ck_mooc_notice_acknowledgement_context"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_notice_acknowledgement_account_id_mooc_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["mooc_privacy_notice.id"],
            name=op.f("fk_mooc_notice_acknowledgement_notice_id_mooc_privacy_notice"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_notice_acknowledgement")),
    )
    with op.batch_alter_table("mooc_notice_acknowledgement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mooc_notice_acknowledgement_account_notice",
            ["account_id", "notice_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mooc_notice_acknowledgement_notice_id"), ["notice_id"], unique=False
        )

    op.create_table(
        "mooc_privacy_notice_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint("body <> ''", name=op.f("ck_mooc_privacy_notice_text_body_not_empty")),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["mooc_privacy_notice.id"],
            name=op.f("fk_mooc_privacy_notice_text_notice_id_mooc_privacy_notice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_privacy_notice_text")),
        sa.UniqueConstraint(
            "notice_id", "language", name=op.f("uq_mooc_privacy_notice_text_notice_id_language")
        ),
    )
    op.create_table(
        "mooc_sharing_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=True),
        sa.Column("share_country", sa.Boolean(), nullable=False),
        sa.Column("share_progress", sa.Boolean(), nullable=False),
        sa.Column("share_completion", sa.Boolean(), nullable=False),
        sa.Column("notice_version", sa.Integer(), nullable=True),
        sa.Column("agreed_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_sharing_consent_account_id_mooc_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["mooc_enrollment.id"],
            name=op.f("fk_mooc_sharing_consent_enrollment_id_mooc_enrollment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["mooc_institution.id"],
            name=op.f("fk_mooc_sharing_consent_institution_id_mooc_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_sharing_consent")),
    )
    with op.batch_alter_table("mooc_sharing_consent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mooc_sharing_consent_account_institution",
            ["account_id", "institution_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mooc_sharing_consent_enrollment_id"), ["enrollment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mooc_sharing_consent_institution_id"), ["institution_id"], unique=False
        )

    with op.batch_alter_table("mooc_certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder_identity_hash", sa.String(length=80), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("mooc_certificate", schema=None) as batch_op:
        batch_op.drop_column("holder_identity_hash")

    with op.batch_alter_table("mooc_sharing_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_sharing_consent_institution_id"))
        batch_op.drop_index(batch_op.f("ix_mooc_sharing_consent_enrollment_id"))
        batch_op.drop_index("ix_mooc_sharing_consent_account_institution")

    op.drop_table("mooc_sharing_consent")
    op.drop_table("mooc_privacy_notice_text")
    with op.batch_alter_table("mooc_notice_acknowledgement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_notice_acknowledgement_notice_id"))
        batch_op.drop_index("ix_mooc_notice_acknowledgement_account_notice")

    op.drop_table("mooc_notice_acknowledgement")
    op.drop_table("mooc_pseudonym")
    with op.batch_alter_table("mooc_privacy_request", schema=None) as batch_op:
        batch_op.drop_index("ix_mooc_privacy_request_received_at")
        batch_op.drop_index(batch_op.f("ix_mooc_privacy_request_account_id"))

    op.drop_table("mooc_privacy_request")
    op.drop_table("mooc_privacy_notice")
