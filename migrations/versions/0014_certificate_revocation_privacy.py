"""certificate revocation: whether the reason is public

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mooc_certificate") as batch:
        batch.add_column(
            sa.Column(
                "revoke_reason_public", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("mooc_certificate") as batch:
        batch.drop_column("revoke_reason_public")
