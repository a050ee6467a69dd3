from sqlalchemy import func, select

from mooc_portal.accounts.models import Account, LoginAttempt
from tests.accounts.conftest import link_in, token_from
from tests.factories import PASSWORD, make_account, make_institution

NEW_PASSWORD = "a brand new passphrase"


def account_count(db_session):
    return db_session.scalar(select(func.count(Account.id)))


def stored(db_session, email):
    db_session.expire_all()
    return db_session.scalar(select(Account).where(Account.email == email))


def register_data(client, **overrides):
    data = {
        "display_name": "Mai Tran",
        "email": "Mai.Tran@Example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "country": "VN",
        "preferred_language": "ko",
        "csrf_token": token_from(client, "/account/register"),
    }
    data.update(overrides)
    return data


# Registration


def test_register_creates_a_learner_with_a_hashed_password_and_logs_in(client, db_session):
    response = client.post("/account/register", data=register_data(client))
    assert response.status_code == 302
    account = stored(db_session, "mai.tran@example.org")
    assert account.display_name == "Mai Tran"
    assert account.country == "VN"
    assert account.preferred_language == "ko"
    assert account.password_hash.startswith("scrypt:")
    assert PASSWORD not in account.password_hash
    assert not account.is_admin and not account.is_staff
    profile = client.get("/account/")
    assert profile.status_code == 200
    assert "Mai Tran" in profile.get_data(as_text=True)
    assert client.get("/account/register").headers["Location"] == "/account/"


def test_register_offers_asem_countries_by_name(client):
    page = client.get("/account/register").get_data(as_text=True)
    assert '<option value="KR">South Korea</option>' in page
    assert '<option value="DE">Germany</option>' in page
    assert 'value="US"' not in page


def test_register_without_country_is_fine(client, db_session):
    response = client.post("/account/register", data=register_data(client, country=""))
    assert response.status_code == 302
    assert stored(db_session, "mai.tran@example.org").country is None


def test_register_rejects_bad_input_at_the_field_and_stores_nothing(client, db_session):
    make_account("taken@example.org")
    before = account_count(db_session)
    cases = [
        ({"confirm": "something else entirely"}, "The passwords differ."),
        ({"password": "short", "confirm": "short"}, "Use at least 10 characters."),
        ({"email": "TAKEN@example.org"}, "An account with this e-mail address already exists."),
        ({"email": "not an address"}, "Invalid email address."),
        ({"country": "US"}, "Not a valid choice"),
        ({"preferred_language": "xx"}, "Not a valid choice"),
        ({"display_name": ""}, "This field is required."),
    ]
    for overrides, message in cases:
        response = client.post("/account/register", data=register_data(client, **overrides))
        assert 400 <= response.status_code < 500, overrides
        page = response.get_data(as_text=True)
        assert message in page, overrides
        assert 'class="error-message"' in page
        assert 'value="Mai Tran"' in page or overrides.get("display_name") == ""
    assert account_count(db_session) == before


def test_register_reports_every_problem_at_once(client, db_session):
    # A short password that is also repeated wrongly: both fields say what is wrong.
    response = client.post(
        "/account/register", data=register_data(client, password="short", confirm="shorter")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Use at least 10 characters." in page and "The passwords differ." in page
    assert account_count(db_session) == 0


def test_register_without_csrf_token_is_refused(client, db_session):
    before = account_count(db_session)
    data = register_data(client)
    del data["csrf_token"]
    response = client.post("/account/register", data=data)
    assert response.status_code == 400
    assert "expired or was sent from elsewhere" in response.get_data(as_text=True)
    assert account_count(db_session) == before


# Logging in and out


def test_login_goes_to_a_local_next_page(client, db_session):
    make_account("ana@example.org")
    token = token_from(client, "/account/login")
    response = client.post(
        "/account/login?next=/courses?q=climate",
        data={"email": "ANA@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses?q=climate"
    assert stored(db_session, "ana@example.org").last_login_at is not None


def test_login_never_redirects_off_site(client, db_session):
    make_account("ana@example.org")
    targets = ("https://evil.example/", "//evil.example/x", "/\\evil.example/x", "/\t/evil.example")
    for target in (*targets, "javascript:alert(1)"):
        token = token_from(client, "/account/login")
        response = client.post(
            "/account/login",
            query_string={"next": target},
            data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        location = response.headers["Location"]
        # What a browser would do with it: backslashes and tabs count as slashes or vanish.
        browser_view = location.replace("\\", "/").replace("\t", "")
        assert browser_view.startswith("/") and not browser_view.startswith("//"), target
        client.post("/account/logout", data={"csrf_token": token_from(client, "/")})


def test_login_form_keeps_next_only_when_safe(client):
    page = client.get("/account/login?next=/institutions").get_data(as_text=True)
    assert 'action="/account/login?next=/institutions"' in page.replace("%2F", "/")
    page = client.get("/account/login?next=https://evil.example/").get_data(as_text=True)
    assert 'action="/account/login"' in page


def test_wrong_password_shows_a_message_and_does_not_log_in(client, auth, db_session):
    make_account("ana@example.org")
    response = auth.login("ana@example.org", "not the password")
    assert response.status_code == 200
    assert "E-mail address or password is not correct." in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_repeated_failed_logins_are_slowed_down(app, client, auth, db_session):
    make_account("ana@example.org")
    for _ in range(app.config["MOOC_LOGIN_MAX_FAILURES"]):
        assert auth.login("ana@example.org", "guess").status_code == 200
    assert db_session.scalar(select(func.count(LoginAttempt.id))) >= 5
    response = auth.login("ana@example.org", PASSWORD)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many failed attempts" in page
    assert 'id="password-error"' in page
    assert client.get("/account/").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, db_session):
    make_account("ana@example.org")
    token = token_from(client, "/account/login")
    data = {"email": "ana@example.org", "password": PASSWORD, "csrf_token": token}
    client.post("/account/login", data=data)
    assert client.get_cookie("remember_token") is None
    client.post("/account/logout", data={"csrf_token": token_from(client, "/")})
    client.post("/account/login", data={**data, "remember": "y"})
    assert client.get_cookie("remember_token") is not None


def test_logout_needs_a_post_with_csrf(client, auth, db_session):
    make_account("ana@example.org")
    auth.login("ana@example.org")
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400
    assert client.get("/account/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/account/").status_code == 302


# Profile


def test_profile_needs_login_and_comes_back_after(client, db_session):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_profile_lists_roles(client, auth, db_session):
    seoul = make_institution("Seoul Open University")
    lyon = make_institution("Université de Lyon", country="FR")
    make_account("staff@example.org", is_admin=True, memberships={seoul: "manager", lyon: "editor"})
    auth.login("staff@example.org")
    page = client.get("/account/").get_data(as_text=True)
    assert "Manager at Seoul Open University" in page
    assert "Editor at Université de Lyon" in page
    assert "Administrator of the portal" in page


def test_learner_profile_shows_no_staff_role(client, auth, db_session):
    make_account("ana@example.org")
    auth.login("ana@example.org")
    page = client.get("/account/").get_data(as_text=True)
    assert "You are not staff of a partner institution." in page
    assert "Administrator" not in page


def test_profile_edit_saves_every_field(client, auth, db_session):
    make_account("ana@example.org")
    auth.login("ana@example.org")
    response = client.post(
        "/account/",
        data={
            "display_name": "Ana Lima",
            "email": "ana.lima@example.org",
            "country": "PT",
            "preferred_language": "ko",
            "timezone": "Asia/Seoul",
            "csrf_token": token_from(client, "/account/"),
        },
    )
    assert response.status_code == 302
    account = stored(db_session, "ana.lima@example.org")
    assert (account.display_name, account.country) == ("Ana Lima", "PT")
    assert (account.preferred_language, account.timezone) == ("ko", "Asia/Seoul")


def test_profile_rejects_bad_input_and_changes_nothing(client, auth, db_session):
    make_account("other@example.org")
    make_account("ana@example.org", display_name="Ana", country="PT")
    auth.login("ana@example.org")
    good = {
        "display_name": "Changed",
        "email": "ana@example.org",
        "country": "PT",
        "preferred_language": "en",
        "timezone": "",
    }
    cases = [
        ({"email": "other@example.org"}, 409, "already exists"),
        ({"timezone": "Mars/Olympus"}, 400, "Not a valid choice"),
        ({"country": "ZZ"}, 400, "Not a valid choice"),
        ({"display_name": "   "}, 400, "This field is required."),
    ]
    for overrides, status, message in cases:
        data = {**good, **overrides, "csrf_token": token_from(client, "/account/")}
        response = client.post("/account/", data=data)
        assert response.status_code == status, overrides
        assert message in response.get_data(as_text=True), overrides
        account = stored(db_session, "ana@example.org")
        assert account.display_name == "Ana"
        assert account.timezone is None
    response = client.post("/account/", data=good)
    assert response.status_code == 400
    assert stored(db_session, "ana@example.org").display_name == "Ana"


# Passwords


def test_change_password(client, auth, db_session):
    make_account("ana@example.org")
    auth.login("ana@example.org")
    token = token_from(client, "/account/password")
    data = {"current_password": "wrong one", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/account/password", data={**data, "csrf_token": token})
    assert response.status_code == 400
    assert "Your current password is not correct." in response.get_data(as_text=True)
    data["current_password"] = PASSWORD
    assert client.post("/account/password", data=data).status_code == 400  # no CSRF token
    response = client.post("/account/password", data={**data, "csrf_token": token})
    assert response.status_code == 302
    auth.logout()
    assert auth.login("ana@example.org", PASSWORD).status_code == 200
    assert auth.login("ana@example.org", NEW_PASSWORD).status_code == 302


def test_forgot_password_answers_the_same_whether_the_account_exists(client, db_session, outbox):
    make_account("ana@example.org")
    answers = []
    for email in ("ana@example.org", "nobody@example.org"):
        token = token_from(client, "/account/password/forgot")
        response = client.post(
            "/account/password/forgot", data={"email": email, "csrf_token": token}
        )
        answers.append(
            (response.status_code, response.headers["Location"], client.get("/").status_code)
        )
    assert answers[0] == answers[1] == (302, "/account/login", 200)
    assert [m["To"] for m in outbox] == ["ana@example.org"]
    assert outbox[0]["Subject"] == "Reset your password"


def test_reset_link_sets_a_new_password_once(client, auth, db_session, outbox):
    make_account("ana@example.org")
    token = token_from(client, "/account/password/forgot")
    client.post("/account/password/forgot", data={"email": "ana@example.org", "csrf_token": token})
    path = link_in(outbox[0])
    assert path.startswith("/account/password/reset/")
    token = token_from(client, path)
    data = {"password": NEW_PASSWORD, "confirm": "different", "csrf_token": token}
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "The passwords differ." in response.get_data(as_text=True)
    data["confirm"] = NEW_PASSWORD
    response = client.post(path, data=data)
    assert response.status_code == 302
    assert auth.login("ana@example.org", NEW_PASSWORD).status_code == 302
    auth.logout()
    response = client.get(path)
    assert response.status_code == 400
    assert "already been used" in response.get_data(as_text=True)


def test_reset_without_csrf_changes_nothing(client, auth, db_session, outbox):
    make_account("ana@example.org")
    token = token_from(client, "/account/password/forgot")
    client.post("/account/password/forgot", data={"email": "ana@example.org", "csrf_token": token})
    path = link_in(outbox[0])
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert auth.login("ana@example.org", PASSWORD).status_code == 302


def test_expired_or_forged_reset_links_are_refused(app, client, db_session, outbox, monkeypatch):
    make_account("ana@example.org")
    token = token_from(client, "/account/password/forgot")
    client.post("/account/password/forgot", data={"email": "ana@example.org", "csrf_token": token})
    path = link_in(outbox[0])
    monkeypatch.setitem(app.config, "MOOC_PASSWORD_RESET_MAX_AGE", -1)
    response = client.get(path)
    assert response.status_code == 400
    assert "This link has expired." in response.get_data(as_text=True)
    response = client.get("/account/password/reset/forged-token")
    assert response.status_code == 400
    assert "This link is not valid." in response.get_data(as_text=True)


def test_login_and_forgot_password_without_csrf_are_refused(client, db_session, outbox):
    make_account("ana@example.org")
    response = client.post(
        "/account/login", data={"email": "ana@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/account/").status_code == 302
    response = client.post("/account/password/forgot", data={"email": "ana@example.org"})
    assert response.status_code == 400
    assert outbox == []
    assert db_session.scalar(select(func.count(LoginAttempt.id))) == 0
