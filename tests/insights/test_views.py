"""The insights pages, their CSV files and the public "about" page, through the client."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.insights.conftest import World

PERIOD = "since=2026-01&until=2026-03"
PAGES = ("/insights/", "/insights/flow", "/insights/completion", "/insights/catalog")


@pytest.mark.parametrize("path", PAGES)
def test_an_administrator_sees_every_page_with_charts_and_tables(
    world: World, client: FlaskClient, auth: AuthActions, path: str
) -> None:
    auth.login(world.admin.email)
    response = client.get(f"{path}?{PERIOD}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page.split("</head>", 1)[1]
    assert "style=" not in page
    charts = re.findall(r'<svg[^>]*class="mooc-chart"[^>]*aria-labelledby="([^"]+)"', page)
    assert charts
    for labels in charts:
        title, desc = labels.split()
        assert f'<title id="{title}">' in page and f'<desc id="{desc}">' in page
    assert page.count("<table") >= len(charts)


def test_the_flow_page_shows_the_balance_and_both_partners(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(world.admin.email)
    page = client.get(f"/insights/flow?{PERIOD}").get_data(as_text=True)
    assert "Balance index: 0.33" in page
    assert "Seoul Open University" in page and "Berlin Online College" in page


def test_a_manager_sees_only_their_institution(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(world.seoul_manager.email)
    page = client.get(f"/insights/flow?{PERIOD}").get_data(as_text=True)
    assert "Seoul Open University" in page
    assert "Berlin Online College" not in page
    refused = client.get(f"/insights/flow?{PERIOD}&partner=berlin-online")
    assert refused.status_code == 403
    refused_csv = client.get(f"/insights/activity.csv?{PERIOD}&partner=berlin-online")
    assert refused_csv.status_code == 403


def test_editors_and_learners_are_refused_and_visitors_sent_to_log_in(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    assert client.get("/insights/").status_code == 302
    auth.login(world.seoul_editor.email)
    assert client.get("/insights/").status_code == 403
    assert client.get("/insights/activity.csv").status_code == 403


def test_every_figure_downloads_as_csv_with_the_page_figures(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(world.admin.email)
    response = client.get(f"/insights/activity.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows == [
        ["Month", "Enrolments", "Completions", "Certificates"],
        ["2026-01", "2", "0", "0"],
        ["2026-02", "2", "1", "1"],
        ["2026-03", "1", "1", "0"],
    ]
    from mooc_portal.insights.services import FIGURE_KEYS

    for key in FIGURE_KEYS:
        assert client.get(f"/insights/{key}.csv?{PERIOD}").status_code == 200, key
    assert client.get("/insights/nothing.csv").status_code == 404


def test_filters_stay_in_the_links(world: World, client: FlaskClient, auth: AuthActions) -> None:
    auth.login(world.admin.email)
    page = client.get("/insights/?since=2026-02&until=2026-03&region=europe&field=03").get_data(
        as_text=True
    )
    assert "/insights/flow?since=2026-02&amp;until=2026-03&amp;region=europe&amp;field=03" in page
    assert "/insights/activity.csv?since=2026-02&amp;until=2026-03&amp;region=europe" in page


def test_bad_filters_answer_400_with_the_reason(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(world.admin.email)
    response = client.get("/insights/?since=2026-99")
    assert response.status_code == 400
    assert "since must be a month written YYYY-MM." in response.get_data(as_text=True)
    assert client.get("/insights/?region=mars").status_code == 400


def test_the_about_page_shows_the_headline_figures_and_is_in_the_footer(
    world: World, client: FlaskClient
) -> None:
    home = client.get("/").get_data(as_text=True)
    assert 'href="/about"' in home
    response = client.get("/about")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert figures == {
        "Partners": "2",
        "Countries": "2",
        "Courses": "2",
        "Learners": "4",
        "Completions": "2",
    }
    assert "Balance index: 0.33" in page
    # Served from the cache the second time (same ETag, no-cache revalidation).
    again = client.get("/about", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
