"""The interface in Korean: a complete, compiled catalog and a visitor who sees and chooses it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import render_template_string

from mooc_portal.db import session
from tests.factories import make_account

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
# The same keywords as `make translations` passes to `pybabel extract`.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# Every interface language but English, the language of the msgids: the same list as
# MOOC_LANGUAGES in mooc_portal/config.py (a test below checks they agree).
CATALOG_LANGUAGES = ("ko", "zh", "ja", "vi", "th", "id", "fr", "de", "es")


def extract_messages() -> Catalog:
    """What the code and templates ask to translate today, as `pybabel extract` sees it."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def is_translated(string: str | tuple[str, ...] | None) -> bool:
    strings = string if isinstance(string, tuple) else (string,)
    return all(s and s.strip() for s in strings)


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return extract_messages()


def test_extraction_finds_the_interface_strings(extracted):
    ids = {message.id for message in extracted if message.id}
    assert {"Skip to main content", "Search courses", "Page not found"} <= ids


def test_messages_that_count_things_have_plural_forms(extracted):
    # "1 enrolments updated": a count in a singular-only message reads wrong for one.
    singular_only = [
        f"  {message.id!r}  ({', '.join(f'{f}:{n}' for f, n in message.locations)})"
        for message in extracted
        if isinstance(message.id, str) and re.search(r"%\((count|num)\)d", message.id)
    ]
    assert not singular_only, (
        "use ngettext (or {% trans count=... %}...{% pluralize %}) for:\n"
        + "\n".join(singular_only)
    )


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_every_interface_string_is_translated(extracted, language):
    catalog = read_catalog(language)
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = catalog.get(message.id, message.context)
        if translated is None or translated.fuzzy or not is_translated(translated.string):
            where = ", ".join(f"{file}:{line}" for file, line in message.locations)
            missing.append(f"  {message.id!r}  ({where})")
    assert not missing, (
        f"{len(missing)} string(s) have no {language} translation; run `make translations`, "
        f"translate them in translations/{language}/LC_MESSAGES/messages.po "
        "and run `make translations` again:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_translations_keep_the_placeholders(language):
    problems = [
        f"  {message.id!r}: {'; '.join(str(error) for error in errors)}"
        for message, errors in read_catalog(language).check()
    ]
    assert not problems, "Translations whose placeholders do not match:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_compiled_catalog_is_up_to_date(language):
    compiled = BytesIO()
    write_mo(compiled, read_catalog(language))
    mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo.is_file(), f"{mo} is missing: run `make translations`"
    assert mo.read_bytes() == compiled.getvalue(), (
        f"{mo} is older than its .po file: run `make translations` and commit the .mo"
    )


def switcher_token(page: str) -> str:
    form = re.search(r'<form class="language-switcher".*?</form>', page, re.S)
    assert form, "no language switcher on the page"
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0))
    assert token
    return token.group(1)


def test_korean_browser_gets_the_korean_interface(client):
    page = client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="ko">' in html
    assert "본문으로 건너뛰기" in html
    assert "강좌 검색" in html
    assert "Skip to main content" not in html


def test_english_browser_gets_the_english_interface(client):
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Skip to main content" in html


def test_error_page_is_translated(client):
    page = client.get("/courses/no-such-course", headers={"Accept-Language": "ko"})
    assert page.status_code == 404
    assert "페이지를 찾을 수 없습니다" in page.get_data(as_text=True)


def test_language_switcher_changes_the_interface_and_remembers_it(client):
    english = {"Accept-Language": "en"}
    token = switcher_token(client.get("/", headers=english).get_data(as_text=True))
    response = client.post(
        "/language",
        data={"language": "ko", "next": "/courses?q=climate", "csrf_token": token},
        headers=english,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses?q=climate"
    with client.session_transaction() as flask_session:
        assert flask_session["mooc_language"] == "ko"
    # The browser still prefers English; the choice wins on every later page.
    html = client.get("/", headers=english).get_data(as_text=True)
    assert '<html lang="ko">' in html
    assert "강좌 검색" in html
    token = switcher_token(html)
    client.post("/language", data={"language": "en", "next": "/", "csrf_token": token})
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_language_switch_without_csrf_token_is_refused(client):
    response = client.post("/language", data={"language": "ko", "next": "/"})
    assert response.status_code == 400
    with client.session_transaction() as flask_session:
        assert "mooc_language" not in flask_session
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_unknown_language_is_refused(client):
    token = switcher_token(client.get("/").get_data(as_text=True))
    response = client.post("/language", data={"language": "xx", "csrf_token": token})
    assert response.status_code == 400
    with client.session_transaction() as flask_session:
        assert "mooc_language" not in flask_session


def test_switch_is_stored_on_the_account(client, auth, db_session):
    account = make_account("minji@example.org")
    session.commit()
    auth.login("minji@example.org")
    token = switcher_token(client.get("/").get_data(as_text=True))
    client.post("/language", data={"language": "ko", "next": "/", "csrf_token": token})
    session.refresh(account)
    assert account.preferred_language == "ko"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"Accept-Language": "ko", "Cookie": "mooc_tz=Asia/Seoul"},
            "2026년 3월 2일 / 2026. 3. 2. 오전 12:30:00",
        ),
        ({"Accept-Language": "en"}, "March 2, 2026 / Mar 1, 2026, 3:30:00\u202fPM"),
    ],
    ids=["korean-in-seoul", "english-in-utc"],
)
def test_dates_render_in_the_visitors_language_and_time_zone(app, headers, expected):
    template = "{{ day|dateformat('long') }} / {{ moment|datetimeformat('medium') }}"
    moment = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 00:30 on 2 March in Seoul
    with app.test_request_context("/", headers=headers):
        assert render_template_string(template, day=date(2026, 3, 2), moment=moment) == expected


def test_a_get_request_changes_no_language(client, auth, db_session):
    """Issue 8, finding 11: a link or an image elsewhere cannot change the saved language."""
    account = make_account("minji@example.org", preferred_language="en")
    session.commit()
    auth.login("minji@example.org")
    response = client.get("/language?language=ko&next=/")
    assert response.status_code == 405
    session.refresh(account)
    assert account.preferred_language == "en"
    with client.session_transaction() as flask_session:
        assert "mooc_language" not in flask_session
    page = client.get("/").get_data(as_text=True)
    assert '<form class="language-switcher" method="post"' in page


def test_the_catalogs_are_the_interface_languages(app):
    assert app.config["MOOC_LANGUAGES"] == ["en", *CATALOG_LANGUAGES]
    on_disk = {path.parent.parent.name for path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    assert on_disk == set(CATALOG_LANGUAGES)


def test_the_switcher_names_each_language_in_its_own_name(client):
    html = client.get("/", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    form = re.search(r'<form class="language-switcher".*?</form>', html, re.S)
    assert form
    options = dict(
        re.findall(r'<option value="([a-z]+)" lang="[a-z]+"[^>]*>([^<]+)</option>', form.group(0))
    )
    assert options == {
        "en": "English",
        "ko": "한국어",
        "zh": "中文 (简体)",
        "ja": "日本語",
        "vi": "Tiếng Việt",
        "th": "ไทย",
        "id": "Bahasa Indonesia",
        "fr": "Français",
        "de": "Deutsch",
        "es": "Español",
    }


@pytest.mark.parametrize(
    ("accept", "language", "skip_link"),
    [
        ("zh-CN,zh;q=0.9", "zh", "跳到主要内容"),
        ("ja-JP", "ja", "メインコンテンツへスキップ"),
        ("vi", "vi", "Chuyển đến nội dung chính"),
        ("th-TH", "th", "ข้ามไปยังเนื้อหาหลัก"),
        ("id-ID", "id", "Langsung ke konten utama"),
        ("fr-FR,fr;q=0.9", "fr", "Aller au contenu principal"),
        ("de-DE", "de", "Zum Hauptinhalt springen"),
        ("es-ES", "es", "Saltar al contenido principal"),
    ],
)
def test_each_language_is_served_to_its_browsers(client, accept, language, skip_link):
    html = client.get("/", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert skip_link in html
    assert "Skip to main content" not in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ja", "2026年3月2日 / 2026/03/01 15:30:00"),
        ("de", "2. März 2026 / 01.03.2026, 15:30:00"),
        ("fr", "2 mars 2026 / 1 mars 2026, 15:30:00"),
        ("zh", "2026年3月2日 / 2026年3月1日 15:30:00"),
    ],
)
def test_dates_follow_each_languages_own_patterns(app, language, expected):
    template = "{{ day|dateformat('long') }} / {{ moment|datetimeformat('medium') }}"
    moment = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert render_template_string(template, day=date(2026, 3, 2), moment=moment) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "12,345"), ("de", "12.345"), ("fr", "12\u202f345"), ("th", "12,345"), ("es", "12.345")],
)
def test_numbers_follow_each_languages_own_separators(app, language, expected):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert render_template_string("{{ 12345|mooc_number }}") == expected
