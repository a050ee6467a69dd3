"""catalog origin: a harvested institution names its peer, a harvested course its page there

Revision ID: 0015
Revises: 0021a
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0021a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mooc_institution") as batch:
        batch.add_column(sa.Column("harvested_from", sa.String(length=200), nullable=True))
    with op.batch_alter_table("mooc_course") as batch:
        batch.add_column(sa.Column("origin_url", sa.String(length=500), nullable=True))
    # What federation's origin rows say today, copied onto the catalog's own rows.
    op.execute(
        "UPDATE mooc_institution SET harvested_from = ("
        "SELECT mooc_peer.name FROM mooc_federated_origin "
        "JOIN mooc_peer ON mooc_peer.id = mooc_federated_origin.peer_id "
        "WHERE mooc_federated_origin.institution_id = mooc_institution.id)"
    )
    op.execute(
        "UPDATE mooc_course SET origin_url = ("
        "SELECT mooc_federated_origin.origin_url FROM mooc_federated_origin "
        "WHERE mooc_federated_origin.course_id = mooc_course.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("mooc_course") as batch:
        batch.drop_column("origin_url")
    with op.batch_alter_table("mooc_institution") as batch:
        batch.drop_column("harvested_from")
