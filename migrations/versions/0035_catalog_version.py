"""catalog versions: which courses' entries each catalog-changing transaction rewrote, so
every process can bring its in-memory catalog columns up to date, and the rewrites a
transaction has not committed yet (issue 16)

Revision ID: 0035
Revises: 0034
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "mooc_catalog_version",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("changed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_mooc_catalog_version")),
    )
    op.create_table(
        "mooc_catalog_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mooc_catalog_pending")),
    )
    # A database's first version: "*", every entry (a process reads them all).
    op.bulk_insert(table, [{"version": 0, "token": uuid.uuid4().hex, "changed": "*"}])


def downgrade() -> None:
    op.drop_table("mooc_catalog_pending")
    op.drop_table("mooc_catalog_version")
