"""insights: the activity cube summed over every partner (the administrators' figures)

Revision ID: 0031
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mooc_insight_total",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("field", sa.String(length=2), nullable=False),
        sa.Column("learner_country", sa.String(length=2), nullable=False),
        sa.Column("offering_region", sa.String(length=6), nullable=False),
        sa.Column("learner_region", sa.String(length=6), nullable=False),
        sa.Column("enrolled", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("certified", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "field",
            "learner_country",
            "offering_region",
            name=op.f("pk_mooc_insight_total"),
        ),
    )
    op.create_index("ix_mooc_insight_total_field_month", "mooc_insight_total", ["field", "month"])
    # The summaries already built: the totals of the same rebuild, so the figures of every
    # partner agree with each partner's until the next rebuild.
    op.execute(
        "INSERT INTO mooc_insight_total (month, field, learner_country, offering_region, "
        "learner_region, enrolled, completed, certified) "
        "SELECT month, field, learner_country, offering_region, learner_region, sum(enrolled), "
        "sum(completed), sum(certified) FROM mooc_insight_activity "
        "GROUP BY month, field, learner_country, offering_region, learner_region"
    )


def downgrade() -> None:
    op.drop_index("ix_mooc_insight_total_field_month", table_name="mooc_insight_total")
    op.drop_table("mooc_insight_total")
