"""account trust: verified addresses, pending invitations, session versions, mail limits

Revision ID: 0011
Revises: 0010

Existing memberships of accounts that could log in (a password or a host user) were in use:
they count as accepted, and their accounts' addresses as confirmed. Memberships of accounts that
never set a password stay pending invitations: a manager sends a new link (old links were
password-reset links and no longer open invitations). Other accounts confirm their address
from their profile when they need to.
"""

import sqlalchemy as sa
from alembic import op

import mooc_portal.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mooc_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_verified_at", mooc_portal.db.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("pending_email", sa.String(length=254), nullable=True))
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("mooc_membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_at", mooc_portal.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("invitation_nonce", sa.String(length=64), nullable=True))
    with op.batch_alter_table("mooc_login_attempt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mooc_login_attempt_remote_addr_at", ["remote_addr", "at"], unique=False
        )
    op.create_table(
        "mooc_mail_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("at", mooc_portal.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_mail_request")),
    )
    with op.batch_alter_table("mooc_mail_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mooc_mail_request_kind_email_at", ["kind", "email", "at"], unique=False
        )
        batch_op.create_index(
            "ix_mooc_mail_request_kind_remote_addr_at", ["kind", "remote_addr", "at"], unique=False
        )

    usable = (
        "SELECT id FROM mooc_account WHERE password_hash IS NOT NULL OR host_user_id IS NOT NULL"
    )
    op.execute(
        f"UPDATE mooc_membership SET accepted_at = created_at WHERE account_id IN ({usable})"
    )
    op.execute(
        "UPDATE mooc_account SET email_verified_at = created_at WHERE is_admin "
        "OR id IN (SELECT account_id FROM mooc_membership WHERE accepted_at IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("mooc_mail_request", schema=None) as batch_op:
        batch_op.drop_index("ix_mooc_mail_request_kind_remote_addr_at")
        batch_op.drop_index("ix_mooc_mail_request_kind_email_at")
    op.drop_table("mooc_mail_request")
    with op.batch_alter_table("mooc_login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_mooc_login_attempt_remote_addr_at")
    with op.batch_alter_table("mooc_membership", schema=None) as batch_op:
        batch_op.drop_column("invitation_nonce")
        batch_op.drop_column("accepted_at")
    with op.batch_alter_table("mooc_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
        batch_op.drop_column("pending_email")
        batch_op.drop_column("email_verified_at")
