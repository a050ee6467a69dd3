"""background jobs: the transactional outbox, and each peer's harvest schedule

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from mooc_portal.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("run_after", UTCDateTime(), nullable=True),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_mooc_outbox_attempts_not_negative")),
        sa.CheckConstraint(
            "state IN ('pending', 'queued', 'running', 'done', 'failed')",
            name=op.f("ck_mooc_outbox_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mooc_outbox_dedupe_key")),
    )
    op.create_index("ix_mooc_outbox_state_run_after", "mooc_outbox", ["state", "run_after"])
    op.create_index(op.f("ix_mooc_outbox_topic"), "mooc_outbox", ["topic"])
    op.create_index(op.f("ix_mooc_outbox_created_at"), "mooc_outbox", ["created_at"])
    with op.batch_alter_table("mooc_peer") as batch:
        batch.add_column(
            sa.Column("harvest_interval", sa.Integer(), nullable=False, server_default="60")
        )
        batch.add_column(sa.Column("next_harvest_at", UTCDateTime(), nullable=True))
        batch.create_check_constraint(
            "harvest_interval", "harvest_interval >= 1 AND harvest_interval <= 10080"
        )


def downgrade() -> None:
    with op.batch_alter_table("mooc_peer") as batch:
        batch.drop_constraint("harvest_interval", type_="check")
        batch.drop_column("next_harvest_at")
        batch.drop_column("harvest_interval")
    op.drop_index(op.f("ix_mooc_outbox_created_at"), table_name="mooc_outbox")
    op.drop_index(op.f("ix_mooc_outbox_topic"), table_name="mooc_outbox")
    op.drop_index("ix_mooc_outbox_state_run_after", table_name="mooc_outbox")
    op.drop_table("mooc_outbox")
