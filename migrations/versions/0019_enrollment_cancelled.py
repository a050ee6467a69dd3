"""enrolment state 'cancelled': what cancelling a run does to its learners

Revision ID: 0019
Revises: 0020
"""

from alembic import op

revision = "0019"
down_revision = "0020"
branch_labels = None
depends_on = None

OLD = "'pending', 'enrolled', 'waitlisted', 'rejected', 'withdrawn', 'completed'"
NEW = OLD + ", 'cancelled'"

# table -> (constraint name, condition with the list of states)
CHECKS = {
    "mooc_enrollment": (("state", "state IN ({})"),),
    "mooc_enrollment_transition": (
        ("to_state", "to_state IN ({})"),
        ("from_state", "from_state IS NULL OR from_state IN ({})"),
    ),
}


def _replace(states: str) -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks:
                full = op.f(f"ck_{table}_{name}")
                batch.drop_constraint(full, type_="check")
                batch.create_check_constraint(full, condition.format(states))


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    op.execute("UPDATE mooc_enrollment SET state = 'withdrawn' WHERE state = 'cancelled'")
    op.execute(
        "UPDATE mooc_enrollment_transition SET to_state = 'withdrawn' WHERE to_state = 'cancelled'"
    )
    op.execute(
        "UPDATE mooc_enrollment_transition SET from_state = 'withdrawn' "
        "WHERE from_state = 'cancelled'"
    )
    _replace(OLD)
