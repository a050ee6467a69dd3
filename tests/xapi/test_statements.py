import json
import uuid

from sqlalchemy import func, select

from mooc_portal.xapi.models import XapiStatement
from mooc_portal.xapi.validation import VOIDED
from tests.xapi.conftest import VERSION, statement


def test_a_batch_is_stored_and_read_back_with_what_the_lrs_adds(partner):
    sent = [statement(), statement("http://adlnet.gov/expapi/verbs/completed")]
    response = partner.post(sent)
    assert response.status_code == 200
    assert response.get_json() == [s["id"] for s in sent]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"

    got = partner.get(statementId=sent[1]["id"])
    assert got.status_code == 200
    body = got.get_json()
    assert body["verb"] == sent[1]["verb"]
    assert body["authority"]["account"]["name"] == partner.credential.key
    assert body["version"] == "1.0.0" and body["stored"] and body["timestamp"]
    assert "X-Experience-API-Consistent-Through" in got.headers


def test_query_filters_and_more_paging(partner):
    ids = partner.post([statement(mbox=f"mailto:l{n}@example.org") for n in range(5)]).get_json()
    partner.post([statement(activity="https://lms.example.org/other")])

    page = partner.get(activity="https://lms.example.org/course/1", limit=2).get_json()
    assert [s["id"] for s in page["statements"]] == ids[::-1][:2]
    seen = [s["id"] for s in page["statements"]]
    while page["more"]:
        page = partner.client.get(page["more"], headers=partner.headers).get_json()
        seen += [s["id"] for s in page["statements"]]
    assert seen == ids[::-1]

    agent = json.dumps({"mbox": "mailto:l3@example.org"})
    assert [s["id"] for s in partner.get(agent=agent).get_json()["statements"]] == [ids[3]]
    ascending = partner.get(ascending="true", verb=statement()["verb"]["id"]).get_json()
    assert [s["id"] for s in ascending["statements"]][:5] == ids


def test_a_stored_statement_is_immutable(partner, db_session):
    sent = statement()
    assert partner.put(sent["id"], sent).status_code == 204
    assert partner.put(sent["id"], sent).status_code == 204  # the same again: accepted
    changed = {**sent, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    response = partner.put(sent["id"], changed)
    assert response.status_code == 409
    assert partner.post(changed).status_code == 409
    stored = partner.get(statementId=sent["id"]).get_json()
    assert stored["verb"] == sent["verb"]
    count = db_session.scalar(select(func.count()).select_from(XapiStatement))
    assert count == 1


def test_voiding_hides_a_statement_but_keeps_it_by_voided_id(partner):
    target = statement()
    partner.post(target)
    voiding = statement(VOIDED)
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    assert partner.post(voiding).status_code == 200

    assert partner.get(statementId=target["id"]).status_code == 404
    assert partner.get(voidedStatementId=target["id"]).get_json()["id"] == target["id"]
    listed = [s["id"] for s in partner.get().get_json()["statements"]]
    assert target["id"] not in listed and voiding["id"] in listed


def test_bad_statements_are_refused_with_the_property_named(partner):
    for broken, where in (
        ({**statement(), "actor": {"mbox": "learner@example.org"}}, "actor.mbox"),
        ({**statement(), "verb": {"id": "not an iri"}}, "verb.id"),
        ({**statement(), "timestamp": "2024-13-45"}, "timestamp"),
        ({**statement(), "unknown": 1}, "unknown"),
    ):
        response = partner.post(broken)
        assert response.status_code == 400
        assert where in response.get_json()["error"]["message"]
    assert (
        partner.client.post("/xapi/statements", data="{", headers=partner.headers).status_code
        == 400
    )
    assert partner.get().get_json()["statements"] == []


def test_a_batch_is_all_or_nothing(partner):
    response = partner.post([statement(), {**statement(), "verb": {"id": 7}}])
    assert response.status_code == 400
    assert "statement 1" in response.get_json()["error"]["message"]
    assert partner.get().get_json()["statements"] == []


def test_credentials_see_only_their_institutions_statements(partner, other_partner, db_session):
    mine = statement()
    partner.post(mine)
    assert other_partner.get(statementId=mine["id"]).status_code == 404
    assert other_partner.get().get_json()["statements"] == []
    # The other institution may use the same id for its own statement: its own LRS.
    assert other_partner.post({**mine, "verb": {"id": VOIDED + "x"}}).status_code == 200
    assert partner.get(statementId=mine["id"]).get_json()["verb"] == mine["verb"]


def test_requests_without_credentials_or_version_are_refused(client, partner):
    assert client.get("/xapi/statements", headers=VERSION).status_code == 401
    wrong = {**partner.headers, "Authorization": "Basic eGFwaV94Onk="}
    response = client.get("/xapi/statements", headers=wrong)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    no_version = {"Authorization": partner.headers["Authorization"]}
    assert client.get("/xapi/statements", headers=no_version).status_code == 400
    assert client.get("/xapi/about").get_json()["version"][-2:] == ["1.0.3", "2.0.0"]


def test_documents_have_etags_and_merge(partner):
    agent = json.dumps({"mbox": "mailto:learner@example.org"})
    params = {"activityId": "https://lms.example.org/course/1", "agent": agent, "stateId": "s"}
    url = "/xapi/activities/state"
    client, headers = partner.client, partner.headers
    assert client.put(url, query_string=params, json={"a": 1}, headers=headers).status_code == 204
    assert client.post(url, query_string=params, json={"b": 2}, headers=headers).status_code == 204
    got = client.get(url, query_string=params, headers=headers)
    assert got.get_json() == {"a": 1, "b": 2}
    etag = got.headers["ETag"]

    profile = {"activityId": "https://lms.example.org/course/1", "profileId": "p"}
    url = "/xapi/activities/profile"
    first = client.put(
        url, query_string=profile, json={"v": 1}, headers={**headers, "If-None-Match": "*"}
    )
    assert first.status_code == 204
    assert client.put(url, query_string=profile, json={"v": 2}, headers=headers).status_code == 409
    stale = {**headers, "If-Match": etag}
    assert client.put(url, query_string=profile, json={"v": 2}, headers=stale).status_code == 412
    current = client.get(url, query_string=profile, headers=headers).headers["ETag"]
    fresh = {**headers, "If-Match": current}
    assert client.put(url, query_string=profile, json={"v": 2}, headers=fresh).status_code == 204
    assert client.get(url, query_string=profile, headers=headers).get_json() == {"v": 2}
    assert client.get(
        url, query_string={"activityId": profile["activityId"]}, headers=headers
    ).get_json() == ["p"]


def test_a_revoked_credential_is_refused_at_once(client, partner, db_session):
    from mooc_portal.xapi.credentials import revoke_credential

    assert partner.get().status_code == 200
    revoke_credential(partner.manager, partner.institution, partner.credential.id)
    db_session.commit()
    assert partner.get().status_code == 401


def test_statement_ids_are_uuids(partner):
    assert partner.get(statementId="nope").status_code == 400
    assert partner.get(statementId=str(uuid.uuid4())).status_code == 404
