"""The records of processing and the handled-requests log, for administrators."""

from __future__ import annotations

import re

from mooc_portal.db import session
from mooc_portal.privacy import erasure, export
from tests.factories import make_account


def test_records_follow_the_settings_and_list_handled_requests(client, auth, app, monkeypatch):
    admin = make_account(is_admin=True)
    export.record_access_request(make_account(), channel="self-service")
    erasure.erase_account(make_account(), keep_certificates=False, channel="administrator")
    session.commit()
    monkeypatch.setitem(app.config, "MOOC_RETENTION_AUDIT_DAYS", 400)
    auth.login(admin.email)
    page = client.get("/admin/privacy").get_data(as_text=True)
    assert "400 days" in page and "Legal basis" in page
    rows = re.findall(r"<td>(Access|Erasure)</td>", page)
    assert sorted(rows) == ["Access", "Erasure"]


def test_learners_and_partners_cannot_read_the_records(client, auth):
    from tests.factories import make_institution

    for account in (make_account(), make_account(memberships={make_institution(): "manager"})):
        session.commit()
        auth.login(account.email)
        assert client.get("/admin/privacy").status_code == 403
        auth.logout()
