"""The outbox: work leaves after the commit, once, and is retried with backoff when it fails."""

from __future__ import annotations

import socket
from datetime import timedelta

from sqlalchemy import select

from mooc_portal.accounts.services import request_password_reset
from mooc_portal.db import session, utcnow
from mooc_portal.jobs import services as jobs
from mooc_portal.jobs.models import JobState, OutboxJob
from mooc_portal.mail import send_mail
from mooc_portal.signals import mail_sent
from tests.factories import make_account


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_mail_leaves_after_the_commit_and_never_after_a_rollback(app, db_session):
    sent = []
    with mail_sent.connected_to(lambda sender, message: sent.append(message), app):
        send_mail("a@example.org", "Kept", "body")
        send_mail("b@example.org", "Dropped", "body")
        assert sent == []
        db_session.rollback()
        send_mail("a@example.org", "Kept", "body")
        db_session.commit()
    assert [(m["To"], m["Subject"]) for m in sent] == [("a@example.org", "Kept")]
    [job] = db_session.scalars(select(OutboxJob)).all()
    assert (job.kind, job.state, job.attempts) == ("mail", "done", 1)
    assert job.payload["body"] is None  # a sent message's body (links, tokens) is not kept


def test_a_job_given_twice_runs_once(app, db_session):
    sent = []
    with mail_sent.connected_to(lambda sender, message: sent.append(message), app):
        send_mail("a@example.org", "Once", "body", dedupe_key="occasion-1")
        send_mail("a@example.org", "Once", "body", dedupe_key="occasion-1")
        db_session.commit()
        job_id = db_session.scalar(select(OutboxJob.id))
        assert jobs.run_job(job_id) is None  # done: a second delivery of the job does nothing
        send_mail("a@example.org", "Once", "body", dedupe_key="occasion-1")
        db_session.commit()
    assert len(sent) == 1
    assert db_session.scalar(select(OutboxJob.state)) == "done"


def test_mail_waits_while_the_server_is_down_and_administrators_see_it(
    app, db_session, client, auth, monkeypatch
):
    monkeypatch.setitem(app.config, "MOOC_MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MOOC_MAIL_PORT", _closed_port())
    make_account("admin@example.org", is_admin=True)
    make_account("ana@example.org")
    request_password_reset("ana@example.org")
    db_session.commit()
    job = db_session.scalar(select(OutboxJob).where(OutboxJob.kind == "mail"))
    assert (job.state, job.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in job.last_error
    assert job.run_after > utcnow() + timedelta(seconds=20)  # MOOC_JOB_RETRY_DELAY backoff
    first_wait = job.run_after - job.finished_at

    job.run_after = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert jobs.relay_once().ran == 1
    db_session.expire_all()
    assert job.attempts == 2 and job.run_after - job.finished_at > first_wait * 1.9

    auth.login("admin@example.org")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "ana@example.org" in page and "Reset your password" in page
    assert "ConnectionRefusedError" in page


def test_after_the_last_attempt_a_job_fails_until_an_administrator_retries_it(
    app, db_session, client, auth, monkeypatch
):
    monkeypatch.setitem(app.config, "MOOC_MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MOOC_MAIL_PORT", _closed_port())
    monkeypatch.setitem(app.config, "MOOC_JOB_MAX_ATTEMPTS", 1)
    make_account("admin@example.org", is_admin=True)
    send_mail("a@example.org", "Hello", "body")
    db_session.commit()
    job = db_session.scalar(select(OutboxJob))
    assert job.state == "failed"

    monkeypatch.setitem(app.config, "MOOC_MAIL_SERVER", None)  # the server is back
    sent = []
    auth.login("admin@example.org")
    token = auth.csrf_token("/admin/jobs")
    with mail_sent.connected_to(lambda sender, message: sent.append(message), app):
        response = client.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert [m["Subject"] for m in sent] == ["Hello"]
    db_session.expire_all()
    assert job.state == "done"


def test_a_job_left_running_by_a_dead_worker_runs_again(app, db_session):
    sent = []
    send_mail("a@example.org", "Again", "body")
    job = session.get(OutboxJob, db_session.scalar(select(OutboxJob.id)))
    # What a worker killed mid-job leaves behind: claimed, lease long past.
    job.state, job.attempts = JobState.RUNNING, 1
    job.locked_until = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert jobs.recover_stale() == 1
    db_session.expire_all()
    assert job.state == "pending" and "worker stopped" in job.last_error
    job.run_after = None
    db_session.commit()
    with mail_sent.connected_to(lambda sender, message: sent.append(message), app):
        jobs.relay_once()
    assert len(sent) == 1
    db_session.expire_all()
    assert (job.state, job.attempts) == ("done", 2)


def test_only_administrators_see_the_jobs(client, auth, db_session):
    make_account("learner@example.org")
    db_session.commit()
    auth.login("learner@example.org")
    assert client.get("/admin/jobs").status_code == 403
    assert client.post("/admin/jobs/1/retry", data={}).status_code in (400, 403)


def test_flask_portal_worker_without_redis_runs_what_is_due(app, db_session, runner):
    sent = []
    send_mail("a@example.org", "Later", "body")
    job = session.get(OutboxJob, db_session.scalar(select(OutboxJob.id)))
    job.run_after = utcnow() + timedelta(hours=1)  # a retry, not due at the commit
    db_session.commit()
    assert sent == [] and job.state == JobState.PENDING
    job.run_after = utcnow() - timedelta(seconds=1)
    db_session.commit()
    with mail_sent.connected_to(lambda sender, message: sent.append(message), app):
        result = runner.invoke(args=["portal", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert [m["Subject"] for m in sent] == ["Later"]


def test_a_harvest_left_running_by_a_dead_worker_is_marked_failed(app, db_session):
    from mooc_portal.federation.models import HarvestRun, Peer

    peer = Peer(name="Far", base_url="http://127.0.0.1:9")
    db_session.add(peer)
    db_session.flush()
    run = HarvestRun(peer=peer)
    db_session.add(run)
    job = jobs.enqueue("harvest", {"peer_id": peer.id}, dedupe_key="h1", topic=f"peer:{peer.id}")
    db_session.flush()
    job.state, job.attempts = JobState.RUNNING, 1
    job.locked_until = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert jobs.recover_stale() == 1
    db_session.expire_all()
    assert run.status == "failed" and "worker stopped" in run.error
    assert job.state == "pending"
