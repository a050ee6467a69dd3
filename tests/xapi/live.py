"""A portal served over real HTTP on a scratch database, with an xAPI credential: what the
ADL suite and the real clients talk to."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from mooc_portal.db import session
from mooc_portal.migrate import upgrade_database
from mooc_portal.xapi.credentials import create_credential
from tests.conftest import make_test_app
from tests.factories import make_account, make_institution


@dataclass
class LivePortal:
    app: Flask
    url: str
    key: str
    secret: str
    institution_id: int
    setup: Any = None

    @property
    def endpoint(self) -> str:
        return f"{self.url}/xapi"


@contextmanager
def live_portal(
    database_url: str, setup: Callable[[Any], Any] | None = None, **config: Any
) -> Iterator[LivePortal]:
    """Serve a portal on ``database_url`` (migrated here) in a thread until the block ends;
    ``setup(institution)`` builds more data first (its result is ``LivePortal.setup``)."""
    server_holder: dict[str, Any] = {}
    app = make_test_app(database_url, **config)
    with app.app_context():
        upgrade_database()
    with app.test_request_context():
        institution = make_institution("xAPI Partner University")
        manager = make_account(is_admin=True)
        credential, secret = create_credential(manager, institution, "Test client")
        key, institution_id = credential.key, institution.id
        made = setup(institution) if setup is not None else None
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server_holder["server"] = server
    thread = threading.Thread(target=server.serve_forever, name="xapi-portal", daemon=True)
    thread.start()
    try:
        yield LivePortal(
            app=app,
            url=f"http://127.0.0.1:{server.server_port}",
            key=key,
            secret=secret,
            institution_id=institution_id,
            setup=made,
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
