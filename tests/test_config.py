"""Start-up configuration: secrets come from the environment or the instance folder only."""

from __future__ import annotations

import os
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


def start(instance: Path, env: str, **config):
    database = f"sqlite:///{instance.parent / 'config-test.sqlite3'}"
    return create_app(
        {"MOOC_ENV": env, "MOOC_DATABASE_URL": database, **config}, instance_path=str(instance)
    )


def test_production_without_a_secret_key_refuses_to_start(clean_env, instance):
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set") as raised:
        start(instance, "production")
    assert "instance folder's secret_key file" in str(raised.value)
    assert not (instance / "secret_key").exists()


CREDENTIAL_KEY = generate_key_pem()
PRODUCTION = {"MOOC_PUBLIC_URL": "https://mooc.example.org", "MOOC_CREDENTIAL_KEY": CREDENTIAL_KEY}


def test_production_reads_the_key_from_the_instance_folder(clean_env, instance):
    instance.mkdir()
    (instance / "secret_key").write_text("key-from-the-instance-folder\n")
    app = start(instance, "production", **PRODUCTION)
    assert app.config["SECRET_KEY"] == "key-from-the-instance-folder"
    assert not app.testing


def test_production_reads_the_key_from_the_environment(clean_env, instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "key-from-the-environment")
    app = start(instance, "production", **PRODUCTION)
    assert app.config["SECRET_KEY"] == "key-from-the-environment"


def test_development_generates_a_key_once_into_the_instance_folder(clean_env, instance):
    first = start(instance, "development").config["SECRET_KEY"]
    assert len(first) >= 32
    assert (instance / "secret_key").read_text().strip() == first
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
    assert start(instance, "development").config["SECRET_KEY"] == first


def test_testing_starts_without_a_key_file(clean_env, instance):
    app = start(instance, "testing", SECRET_KEY="given")
    assert app.testing
    assert not (instance / "secret_key").exists()


def test_production_without_a_credential_key_refuses_to_start(clean_env, instance):
    with pytest.raises(ConfigurationError, match="MOOC_CREDENTIAL_KEY is not set") as raised:
        start(instance, "production", SECRET_KEY="s", MOOC_PUBLIC_URL="https://mooc.example.org")
    assert "openssl genpkey -algorithm ed25519" in str(raised.value)


def test_production_without_a_public_url_refuses_to_start(clean_env, instance):
    with pytest.raises(ConfigurationError, match="MOOC_PUBLIC_URL is not set"):
        start(instance, "production", SECRET_KEY="s", MOOC_CREDENTIAL_KEY=CREDENTIAL_KEY)


def test_production_reads_the_credential_key_from_the_instance_folder(clean_env, instance):
    instance.mkdir()
    (instance / "credential_key").write_text(CREDENTIAL_KEY)
    app = start(instance, "production", SECRET_KEY="s", MOOC_PUBLIC_URL="https://x.example")
    assert app.config["MOOC_CREDENTIAL_KEY"] == CREDENTIAL_KEY


def test_development_generates_a_credential_key_once_into_the_instance_folder(clean_env, instance):
    first = start(instance, "development").config["MOOC_CREDENTIAL_KEY"]
    assert first.startswith("-----BEGIN PRIVATE KEY-----")
    assert (instance / "credential_key").read_text() == first
    assert (instance / "credential_key").stat().st_mode & 0o077 == 0
    assert start(instance, "development").config["MOOC_CREDENTIAL_KEY"] == first
