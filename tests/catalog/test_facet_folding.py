"""Long facets show six options and fold the rest, opened when a folded one is selected."""

import re

from tests.factories import make_course, make_institution


def test_long_facets_fold_and_open_on_a_selected_option(client, db_session):
    for n in range(8):
        make_course(institution=make_institution(f"Partner {n}", slug=f"partner-{n}"))

    page = client.get("/courses").get_data(as_text=True)
    assert "Show 2 more" in page
    assert re.search(r'<details class="facet-more">', page), "folded while nothing is selected"

    filtered = client.get("/courses?institution=partner-7").get_data(as_text=True)
    assert re.search(r'<details class="facet-more" open>', filtered)
    assert 'value="partner-7" checked' in filtered
