"""Start-up configuration: secrets come from the environment or the instance folder only."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from mooc_portal import create_app
from mooc_portal.certificates.issuer import generate_key_pem
from mooc_portal.config import ConfigurationError


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key == "SECRET_KEY" or key.startswith("MOOC_"):
            monkeypatch.delenv(key)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


STRONG_KEY = "3f9c1e7a5b2d8f6041c9e3a7b5d2f8e6a1c4b7d0e3f6a9c2"
PUBLIC_URL = "https://mooc.example.org"
CREDENTIAL_KEY = generate_key_pem()


def start(instance: Path, env: str, **config):
    database = f"sqlite:///{instance.parent / 'config-test.sqlite3'}"
    if env == "production":
        config.setdefault("MOOC_PUBLIC_URL", PUBLIC_URL)
        if not (instance / "credential_key").exists():
            config.setdefault("MOOC_CREDENTIAL_KEY", CREDENTIAL_KEY)
    return create_app(
        {"MOOC_ENV": env, "MOOC_DATABASE_URL": database, **config}, instance_path=str(instance)
    )


def test_production_without_a_secret_key_refuses_to_start(clean_env, instance):
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set") as raised:
        start(instance, "production")
    assert "instance folder's secret_key file" in str(raised.value)
    assert not (instance / "secret_key").exists()


def test_production_reads_the_key_from_the_instance_folder(clean_env, instance):
    instance.mkdir()
    (instance / "secret_key").write_text(f"{STRONG_KEY}\n")
    app = start(instance, "production")
    assert app.config["SECRET_KEY"] == STRONG_KEY
    assert not app.testing


def test_production_reads_the_key_from_the_environment(clean_env, instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    assert start(instance, "production").config["SECRET_KEY"] == STRONG_KEY


def test_development_generates_a_key_once_into_the_instance_folder(clean_env, instance):
    first = start(instance, "development").config["SECRET_KEY"]
    assert len(first) >= 32
    assert (instance / "secret_key").read_text().strip() == first
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
    assert start(instance, "development").config["SECRET_KEY"] == first


def test_testing_starts_without_a_key_file(clean_env, instance):
    app = start(instance, "testing")
    assert app.testing
    assert not app.config.get("SECRET_KEY")  # none given, none generated
    assert not (instance / "secret_key").exists()


# Issue 8, findings 2, 4 and 11: what production refuses and how it sends cookies.


@pytest.mark.parametrize(
    "weak",
    [
        "dev",
        "changeme",
        "key-from-the-instance-folder",
        "a" * 64,
        "abababababababababababababababab",
    ],
)
def test_production_refuses_a_weak_secret_key(clean_env, instance, weak):
    with pytest.raises(ConfigurationError, match="SECRET_KEY is too weak") as raised:
        start(instance, "production", SECRET_KEY=weak)
    assert "secrets.token_hex(32)" in str(raised.value)


@pytest.mark.parametrize("url", [None, "", "mooc.example.org", "https://mooc.example.org/?x=1"])
def test_production_needs_an_absolute_public_url(clean_env, instance, url):
    with pytest.raises(ConfigurationError, match="MOOC_PUBLIC_URL"):
        start(instance, "production", SECRET_KEY=STRONG_KEY, MOOC_PUBLIC_URL=url)


def test_development_does_without_a_public_url(clean_env, instance):
    app = start(instance, "development")
    with app.app_context():
        from mooc_portal.urls import external_url

        assert external_url("portal.catalog.course_list") == "http://localhost/courses"


@pytest.fixture
def production(clean_env, instance):
    from mooc_portal.migrate import upgrade_database

    app = start(instance, "production", SECRET_KEY=STRONG_KEY)
    with app.app_context():
        upgrade_database()
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_production_answers_only_its_public_host(production):
    client = production.test_client()
    assert client.get("/", base_url="https://evil.example").status_code == 400
    assert client.get("/", base_url=PUBLIC_URL).status_code == 200


def test_production_cookies_are_secure_httponly_and_same_site(production):
    from mooc_portal.accounts.services import register_account
    from mooc_portal.db import session

    with production.app_context():
        register_account("ana@example.org", "correct horse battery", "Ana", verified=True)
        session.commit()
    client = production.test_client()
    page = client.get("/account/login", base_url=PUBLIC_URL).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    response = client.post(
        "/account/login",
        base_url=PUBLIC_URL,
        data={
            "email": "ana@example.org",
            "password": "correct horse battery",
            "remember": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        flags = [part.strip().lower() for part in cookies[name].split(";")]
        assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags, name
    remember = client.get_cookie("remember_token", domain="mooc.example.org")
    assert remember.max_age is None or remember.max_age <= 14 * 86400


def test_demo_data_refuses_a_production_database_without_force(production):
    from sqlalchemy import func, select

    from mooc_portal.db import session
    from mooc_portal.institutions.models import Institution

    result = production.test_cli_runner().invoke(args=["portal", "demo-data"])
    assert result.exit_code != 0
    assert "runs in production" in result.output and "--force" in result.output
    with production.app_context():
        assert session.scalar(select(func.count(Institution.id))) == 0


def test_production_without_a_credential_key_refuses_to_start(clean_env, instance):
    with pytest.raises(ConfigurationError, match="MOOC_CREDENTIAL_KEY is not set") as raised:
        start(instance, "production", SECRET_KEY=STRONG_KEY, MOOC_CREDENTIAL_KEY=None)
    assert "openssl genpkey -algorithm ed25519" in str(raised.value)


def test_production_reads_the_credential_key_from_the_instance_folder(clean_env, instance):
    instance.mkdir()
    (instance / "credential_key").write_text(CREDENTIAL_KEY)
    app = start(instance, "production", SECRET_KEY=STRONG_KEY)
    assert app.config["MOOC_CREDENTIAL_KEY"] == CREDENTIAL_KEY


def test_development_generates_a_credential_key_once_into_the_instance_folder(clean_env, instance):
    first = start(instance, "development").config["MOOC_CREDENTIAL_KEY"]
    assert first.startswith("-----BEGIN PRIVATE KEY-----")
    assert (instance / "credential_key").read_text() == first
    assert (instance / "credential_key").stat().st_mode & 0o077 == 0
    assert start(instance, "development").config["MOOC_CREDENTIAL_KEY"] == first


# Issue 9: every key read is declared (and documented) in config.py; environment values are
# read by the declared type.


def test_environment_values_are_read_by_their_declared_type(clean_env, instance, monkeypatch):
    for key, value in {
        "MOOC_MAIL_PASSWORD": "12345",  # a password that looks like a number stays text
        "MOOC_MAIL_USERNAME": "true",
        "MOOC_PAGE_SIZE": "7",
        "MOOC_HARVEST_TIMEOUT": "2.5",
        "MOOC_RATELIMIT_ENABLED": "false",
        "MOOC_LANGUAGES": "en, ko",
        "MOOC_CREDENTIAL_RETIRED_KEYS": '["z6MkOld"]',
    }.items():
        monkeypatch.setenv(key, value)
    config = start(instance, "testing").config
    assert config["MOOC_MAIL_PASSWORD"] == "12345"
    assert config["MOOC_MAIL_USERNAME"] == "true"
    assert config["MOOC_PAGE_SIZE"] == 7
    assert config["MOOC_HARVEST_TIMEOUT"] == 2.5
    assert config["MOOC_RATELIMIT_ENABLED"] is False
    assert config["MOOC_LANGUAGES"] == ["en", "ko"]
    assert config["MOOC_CREDENTIAL_RETIRED_KEYS"] == ["z6MkOld"]


@pytest.mark.parametrize(
    ("key", "value"), [("MOOC_PAGE_SIZE", "twenty"), ("MOOC_METRICS", "maybe")]
)
def test_an_environment_value_of_the_wrong_type_refuses_to_start(
    clean_env, instance, monkeypatch, key, value
):
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigurationError, match=key):
        start(instance, "testing")


def test_reading_an_undeclared_key_fails_in_testing(clean_env, instance):
    config = start(instance, "testing").config
    for read in (lambda: config["MOOC_NOT_DECLARED"], lambda: config.get("MOOC_NOT_DECLARED")):
        with pytest.raises(KeyError, match="not declared"):
            read()
    assert config.get("SOME_HOST_KEY") is None  # a host's own keys are its business


def test_every_key_the_code_names_is_declared_and_every_default_is_used():
    import ast

    from mooc_portal.config import DEFAULTS

    package = Path(__file__).resolve().parent.parent / "mooc_portal"
    named: set[str] = set()
    for path in package.rglob("*.py"):
        if path == package / "config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.update(re.findall(r"\bMOOC_[A-Z0-9_]+\b", node.value))
    # f"MOOC_RETENTION_{what}": a prefix names the declared keys that start with it.
    undeclared = {
        name
        for name in named
        if name not in DEFAULTS
        and not (name.endswith("_") and any(key.startswith(name) for key in DEFAULTS))
    }
    assert undeclared == set()
    prefixes = tuple(name for name in named if name.endswith("_"))
    unused = {key for key in DEFAULTS if key not in named and not key.startswith(prefixes)}
    assert unused == set()
