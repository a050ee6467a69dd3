"""The figures against counts made by hand on a small world (tests/insights/conftest.py).

Seoul Open University (KR, Asia) offers "Data in Asia" (field 06), run A1 starting January
2026 with 2 places; Berlin Online College (DE, Europe) offers "Economics in Europe" (fields 03
and 06), run B1 starting February 2026.

    A1  e1 (DE) enrolled 2026-01-10, completed 2026-02-15, certificate
        a2 (JP) enrolled 2026-01-20, one of the two counted lessons done
        e2 (FR) waitlisted 2026-02-01                     (not an enrolment; waiting)
    B1  a1 (KR) enrolled 2026-02-03, completed 2026-03-05 (no certificate)
        a2 (JP) enrolled 2026-02-04, opened the course (a visit)
        x  (US) enrolled 2026-03-01
        n  (-)  withdrawn 2026-03-02                      (not an enrolment)

By hand: January 2 enrolments; February 2 enrolments, 1 completion, 1 certificate; March 1
enrolment, 1 completion. Flows: Asia->Asia 1, Europe->Asia 1, Asia->Europe 2,
elsewhere->Europe 1; balance (2 - 1) / 3 = 0.33. Learners: e1, a2, a1, x = 4.
"""

from __future__ import annotations

from typing import Any

import pytest

from mooc_portal.errors import InvalidInput, NotPermitted
from mooc_portal.insights import services
from tests.insights.conftest import World, at

PERIOD = {"since": "2026-01", "until": "2026-03"}
NOW = at("2026-03-20T12:00:00")


def filters(world: World, actor: Any = None, **args: str) -> services.InsightFilter:
    return services.parse_filter(actor or world.admin, {**PERIOD, **args}, now=NOW)


def test_enrolments_and_completions_per_month(world: World) -> None:
    figure = services.activity_over_time(filters(world))
    assert figure.rows == [
        ["2026-01", 2, 0, 0],
        ["2026-02", 2, 1, 1],
        ["2026-03", 1, 1, 0],
    ]


@pytest.mark.parametrize("args", [{}, {"field": "06"}, {"region": "europe"}])
def test_every_partner_s_figures_are_the_sum_of_each_partner_s(
    world: World, args: dict[str, str]
) -> None:
    """Every partner's figures come from totals summed at the rebuild: the same counts as
    adding up each partner's own figures (the cube the managers' pages read)."""

    def table(**more: str) -> list[list[Any]]:
        chosen = filters(world, **args, **more)
        return [
            *services.activity_over_time(chosen).rows,
            *services.flow_matrix(chosen)[0].rows,
            *services.flow_by_country(chosen).rows,
        ]

    every = table()
    each = [table(partner=world.seoul.slug), table(partner=world.berlin.slug)]
    by_label: dict[str, list[int]] = {}
    for rows in each:
        for row in rows:
            numbers = [v for v in row[1:] if isinstance(v, int)]
            sums = by_label.setdefault(str(row[0]), [0] * len(numbers))
            by_label[str(row[0])] = [a + b for a, b in zip(sums, numbers, strict=True)]
    assert {str(row[0]): [v for v in row[1:] if isinstance(v, int)] for row in every} == by_label


def test_the_asia_europe_flow_and_its_balance(world: World) -> None:
    figure, balance = services.flow_matrix(filters(world))
    # Learners from: Asian partners' courses, European partners' courses, total
    assert [row[1:] for row in figure.rows] == [[1, 2, 3], [1, 0, 1], [0, 1, 1]]
    assert balance == 0.33


def test_balance_per_partner_and_per_region(world: World) -> None:
    partners = {row[0]: row[3:] for row in services.balance_by_partner(filters(world), "en").rows}
    assert partners == {
        "Seoul Open University": [1, 1, 0, 50.0],
        "Berlin Online College": [0, 2, 1, 66.7],
    }
    regions = [row[1:] for row in services.balance_by_region(filters(world)).rows]
    assert regions == [[1, 1, 0, 50.0], [0, 2, 1, 66.7]]


def test_learners_by_country(world: World) -> None:
    rows = {row[1]: row[2:] for row in services.flow_by_country(filters(world)).rows}
    assert rows == {"JP": [1, 1, 2], "DE": [1, 0, 1], "KR": [0, 1, 1], "US": [0, 1, 1]}


def test_a_field_counts_its_courses_only_and_a_course_in_two_subfields_once(
    world: World,
) -> None:
    economics = services.activity_over_time(filters(world, field="03"))
    assert [row[1] for row in economics.rows] == [0, 2, 1]
    ict = services.activity_over_time(filters(world, field="06"))
    assert [row[1] for row in ict.rows] == [2, 2, 1]


def test_the_period_bounds_the_months(world: World) -> None:
    figure = services.activity_over_time(filters(world, since="2026-02", until="2026-02"))
    assert figure.rows == [["2026-02", 2, 1, 1]]


def test_completion_funnel_per_run_and_in_total(world: World) -> None:
    total = services.completion_funnel(filters(world))
    assert [row[1] for row in total.rows] == [5, 4, 3, 2, 1]
    runs = {row[0]: row[3:8] for row in services.funnel_per_run(filters(world), "en").rows}
    assert runs == {"Data in Asia": [2, 2, 2, 1, 1], "Economics in Europe": [3, 2, 1, 1, 0]}


def test_waiting_lists(world: World) -> None:
    figure, totals = services.waitlist_pressure(filters(world), "en")
    assert totals == {"limited": 1, "full": 0, "waiting": 1}
    assert [row[3:] for row in figure.rows] == [[2, 1, 1]]


def test_catalog_coverage(world: World) -> None:
    by_key = {f.key: dict(map(tuple, f.rows)) for f in services.catalog_coverage(filters(world))}
    assert by_key["coverage-fields"] == {
        "Information and Communication Technologies (ICTs)": 2,
        "Social sciences, journalism and information": 1,
    }
    assert by_key["coverage-levels"]["Introductory"] == 2
    assert by_key["coverage-languages"] == {"English": 2}
    assert by_key["coverage-credentials"]["None"] == 2


def test_headline_figures(world: World) -> None:
    headline = services.headline_figures()
    assert (headline.partners, headline.countries, headline.courses) == (2, 2, 2)
    assert (headline.learners, headline.completions) == (4, 2)
    assert (headline.asia_to_europe, headline.europe_to_asia, headline.balance) == (2, 1, 0.33)


def test_a_manager_sees_their_institution_only(world: World) -> None:
    mine = filters(world, world.seoul_manager)
    assert mine.institution_ids == frozenset({world.seoul.id})
    assert [row[1] for row in services.activity_over_time(mine).rows] == [2, 0, 0]
    with pytest.raises(NotPermitted):
        filters(world, world.seoul_manager, partner="berlin-online")
    with pytest.raises(NotPermitted):
        filters(world, world.seoul_editor)


@pytest.mark.parametrize(
    "args",
    [
        {"since": "2026-13"},
        {"until": "yesterday"},
        {"since": "2026-03", "until": "2026-01"},
        {"since": "2000-01", "until": "2026-01"},
        {"region": "africa"},
        {"field": "99"},
        {"partner": "nobody"},
    ],
)
def test_bad_filters_are_refused_with_a_reason(world: World, args: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        filters(world, **args)
