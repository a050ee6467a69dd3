"""Public ids in URLs are UUIDs read by Werkzeug's ``uuid`` converter: a malformed one matches
no route and is a 404 for everyone, before any view or service sees it."""

from __future__ import annotations

from werkzeug.routing import UUIDConverter

from mooc_portal.db import session
from tests.factories import make_account


def test_a_malformed_id_in_any_url_is_a_404(app, client, auth):
    admin = make_account("admin@ids.example", is_admin=True)
    session.commit()
    auth.login(admin.email)
    token = auth.csrf_token("/")
    others = {"slug": "nowhere", "language": "ko", "operation": "delete"}
    walked = 0
    for rule in app.url_map.iter_rules():
        ids = [name for name, conv in rule._converters.items() if isinstance(conv, UUIDConverter)]
        if not ids:
            continue
        values = {
            name: "not-a-uuid" if name in ids else others.get(name, "1") for name in rule.arguments
        }
        # UUIDConverter writes any value as text: the malformed id goes into the URL as is.
        url = rule.build(values, append_unknown=False)[1]
        assert "not-a-uuid" in url
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (method, url, response.status_code)
            walked += 1
    assert walked >= 30
