from tests.factories import make_account, make_course


def test_home_page_shows_an_open_course(client, db_session):
    make_course("Climate and Society", runs=1)
    page = client.get("/")
    assert page.status_code == 200
    assert "Climate and Society" in page.get_data(as_text=True)


def test_each_request_has_its_own_context(client, auth, db_session):
    """Logging in is seen by the next request, not cached from the first one."""
    make_account("ada@example.org")
    assert "Log in" in client.get("/").get_data(as_text=True)
    auth.login("ada@example.org")
    assert "Log out" in client.get("/").get_data(as_text=True)
