"""Two portals in one process: a second app on its own database, and live HTTP servers."""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from mooc_portal.migrate import upgrade_database
from tests.conftest import make_test_app, rolled_back
from tests.federation.openapi_check import openapi


@contextmanager
def live_server(wsgi_app: Any) -> Iterator[str]:
    """Serve ``wsgi_app`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture(scope="session")
def second_portal_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """Another portal on another database (SQLite), migrated once for the session."""
    path = tmp_path_factory.mktemp("peer") / "second-portal.sqlite3"
    # Its peers are served on 127.0.0.1 by the tests: a local-testing setup.
    app = make_test_app(
        f"sqlite:///{path}", MOOC_HARVEST_TIMEOUT=2.0, MOOC_ALLOW_PRIVATE_PEERS=True
    )
    with app.app_context():
        upgrade_database()
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def second_portal(second_portal_app: Flask) -> Iterator[Flask]:
    with rolled_back(second_portal_app):
        yield second_portal_app


@pytest.fixture
def source_url(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The ``app`` portal served over real HTTP, at its public URL (its links point there)."""
    with live_server(app) as url:
        monkeypatch.setitem(app.config, "MOOC_PUBLIC_URL", url)
        yield url


SPEC_PATH = Path(
    os.environ.get("OOAPI_SPEC")
    or Path(__file__).resolve().parents[3] / "shared" / "specs" / "ooapi-v5.json"
)


@pytest.fixture(scope="module")
def ooapi_spec():
    if not SPEC_PATH.is_file():
        pytest.skip(f"The OOAPI v5 bundle is not at {SPEC_PATH} (set OOAPI_SPEC to its path)")
    document = json.loads(SPEC_PATH.read_text())
    # The bundle names its demo server; the deployment's address replaces it, in memory only.
    document = copy.deepcopy(document)
    document["servers"] = [{"url": "http://localhost/ooapi/v5"}]
    # The bundle has one invalid default (see specs/README.md): spec validation stays off.
    return openapi(document, validate_spec=False)
