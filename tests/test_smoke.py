from tests.factories import make_course


def test_home_page_counts_public_courses(client, db_session):
    make_course("Climate and Society", runs=1)
    page = client.get("/")
    assert page.status_code == 200
    assert "Climate and Society" in page.get_data(as_text=True)
