"""The figures of the demo data against counts made directly from its enrolments, and a year
of enrolments across both regions."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from mooc_portal.accounts.models import Account
from mooc_portal.demo import load_demo_data
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.insights import services
from mooc_portal.reference import ASIA_COUNTRIES, EUROPE_COUNTRIES


def region(country: str | None) -> str:
    if country in ASIA_COUNTRIES:
        return "asia"
    return "europe" if country in EUROPE_COUNTRIES else "other"


def test_demo_figures_match_the_enrolments_and_span_a_year_in_both_regions(db_session) -> None:
    load_demo_data()  # rebuilds the summaries at its end
    admin = db_session.scalar(select(Account).where(Account.is_admin.is_(True)))
    filters = services.parse_filter(admin, {})
    counted = [
        e
        for e in db_session.scalars(select(Enrollment))
        if e.state in ("enrolled", "completed")
        and filters.since <= e.created_at.strftime("%Y-%m") <= filters.until
    ]
    per_month = Counter(e.created_at.strftime("%Y-%m") for e in counted)
    figure = services.activity_over_time(filters)
    assert {row[0]: row[1] for row in figure.rows if row[1]} == dict(per_month)
    assert sum(1 for row in figure.rows if row[1]) >= 11  # a year of enrolments

    flows = Counter((region(e.account.country), e.run.course.institution.region) for e in counted)
    matrix, balance = services.flow_matrix(filters)
    learners = ("asia", "europe", "other")
    assert [row[1:3] for row in matrix.rows] == [
        [flows[(learner, "asia")], flows[(learner, "europe")]] for learner in learners
    ]
    assert flows[("asia", "europe")] > 20 and flows[("europe", "asia")] > 20
    assert balance is not None and 0 < balance < 1  # more Asian learners in Europe

    headline = services.headline_figures()
    all_learning = [
        e for e in db_session.scalars(select(Enrollment)) if e.state in ("enrolled", "completed")
    ]
    assert headline.learners == len({e.account_id for e in all_learning})
    assert headline.completions == sum(e.state == "completed" for e in all_learning)
