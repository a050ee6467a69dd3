"""data downloads: a learner's "my data" document built by a background job

Revision ID: 0016
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from mooc_portal.db import UTCDateTime

revision = "0016"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_data_download",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("ready_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("downloaded_at", UTCDateTime(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'ready', 'failed')", name=op.f("ck_mooc_data_download_state")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mooc_account.id"],
            name=op.f("fk_mooc_data_download_account_id_mooc_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_data_download")),
        sa.UniqueConstraint("token", name=op.f("uq_mooc_data_download_token")),
    )
    op.create_index(op.f("ix_mooc_data_download_account_id"), "mooc_data_download", ["account_id"])
    op.create_index("ix_mooc_data_download_expires_at", "mooc_data_download", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_mooc_data_download_expires_at", table_name="mooc_data_download")
    op.drop_index(op.f("ix_mooc_data_download_account_id"), table_name="mooc_data_download")
    op.drop_table("mooc_data_download")
