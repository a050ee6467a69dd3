"""The built wheel carries what a host application needs: templates, static files, migrations."""

from __future__ import annotations

import zipfile
from pathlib import Path

from hatchling.build import build_wheel

REPO = Path(__file__).resolve().parent.parent


def test_wheel_contains_templates_static_files_and_migrations(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    name = build_wheel(str(tmp_path))
    with zipfile.ZipFile(tmp_path / name) as wheel:
        names = set(wheel.namelist())
    for required in (
        "mooc_portal/__init__.py",
        "mooc_portal/extension.py",
        "mooc_portal/templates/mooc_portal/base.html",
        "mooc_portal/templates/mooc_portal/accounts/login.html",
        "mooc_portal/static/css/portal.css",
        "mooc_portal/migrations/env.py",
        "mooc_portal/migrations/script.py.mako",
        # The JSON-LD contexts the credential signer reads offline, with their licences.
        "mooc_portal/certificates/contexts/credentials-v2.jsonld",
        "mooc_portal/certificates/contexts/ob-context-3.0.3.json",
        "mooc_portal/certificates/contexts/LICENSE-open-badges-context",
    ):
        assert required in names, required
    versions = [n for n in names if n.startswith("mooc_portal/migrations/versions/")]
    assert any(n.endswith("_initial_schema.py") for n in versions), versions
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)
