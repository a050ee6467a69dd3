"""enrolments: one row per learner and run, the history of its states, certificates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 02:44:34.075124
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

ACTIVE = "state IN ('pending', 'enrolled', 'waitlisted', 'completed')"


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_enrollment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("waitlist_number", sa.Integer(), nullable=True),
        sa.Column("decided_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("modified_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(state = 'waitlisted') = (waitlist_number IS NOT NULL)",
            name=op.f("ck_mooc_enrollment_waitlist_number"),
        ),
        sa.CheckConstraint(
            "state <> 'rejected' OR (reason IS NOT NULL AND reason <> '')",
            name=op.f("ck_mooc_enrollment_rejection_has_reason"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'enrolled', 'waitlisted', 'rejected', 'withdrawn', 'completed')",
            name=op.f("ck_mooc_enrollment_state"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_enrollment_account_id_mooc_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["mooc_course.id"],
            name=op.f("fk_mooc_enrollment_course_id_mooc_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mooc_course_run.id"],
            name=op.f("fk_mooc_enrollment_run_id_mooc_course_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_enrollment")),
        sa.UniqueConstraint("uuid", name=op.f("uq_mooc_enrollment_uuid")),
    )
    with op.batch_alter_table("mooc_enrollment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_enrollment_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mooc_enrollment_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index("ix_mooc_enrollment_run_state", ["run_id", "state"], unique=False)
        batch_op.create_index(
            "uq_mooc_enrollment_active_per_course",
            ["course_id", "account_id"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )

    op.create_table(
        "mooc_enrollment_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "from_state IS NULL OR from_state IN ('pending', 'enrolled', 'waitlisted', 'rejected', 'withdrawn', 'completed')",
            name=op.f("ck_mooc_enrollment_transition_from_state"),
        ),
        sa.CheckConstraint(
            "to_state IN ('pending', 'enrolled', 'waitlisted', 'rejected', 'withdrawn', 'completed')",
            name=op.f("ck_mooc_enrollment_transition_to_state"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_enrollment_transition_actor_id_mooc_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["mooc_enrollment.id"],
            name=op.f("fk_mooc_enrollment_transition_enrollment_id_mooc_enrollment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_enrollment_transition")),
    )
    with op.batch_alter_table("mooc_enrollment_transition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mooc_enrollment_transition_enrollment_id"),
            ["enrollment_id"],
            unique=False,
        )

    op.create_table(
        "mooc_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("learner_name", sa.String(length=120), nullable=False),
        sa.Column("course_title", sa.String(length=200), nullable=False),
        sa.Column("institution_name", sa.String(length=200), nullable=False),
        sa.Column("run_start_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("run_end_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", mooc_portal.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(revoked_at IS NULL AND revoke_reason IS NULL) OR (revoked_at IS NOT NULL AND revoke_reason IS NOT NULL AND revoke_reason <> '')",
            name=op.f("ck_mooc_certificate_revocation_has_reason"),
        ),
        sa.CheckConstraint("length(code) >= 20", name=op.f("ck_mooc_certificate_code_long_enough")),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["mooc_enrollment.id"],
            name=op.f("fk_mooc_certificate_enrollment_id_mooc_enrollment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_certificate_revoked_by_id_mooc_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_certificate")),
        sa.UniqueConstraint("code", name=op.f("uq_mooc_certificate_code")),
        sa.UniqueConstraint("enrollment_id", name=op.f("uq_mooc_certificate_enrollment_id")),
        sa.UniqueConstraint("uuid", name=op.f("uq_mooc_certificate_uuid")),
    )


def downgrade() -> None:
    op.drop_table("mooc_certificate")
    with op.batch_alter_table("mooc_enrollment_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mooc_enrollment_transition_enrollment_id"))

    op.drop_table("mooc_enrollment_transition")
    with op.batch_alter_table("mooc_enrollment", schema=None) as batch_op:
        batch_op.drop_index("uq_mooc_enrollment_active_per_course")
        batch_op.drop_index("ix_mooc_enrollment_run_state")
        batch_op.drop_index(batch_op.f("ix_mooc_enrollment_course_id"))
        batch_op.drop_index(batch_op.f("ix_mooc_enrollment_account_id"))

    op.drop_table("mooc_enrollment")
