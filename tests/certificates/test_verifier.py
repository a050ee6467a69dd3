"""The portal's credentials checked by an independent verifier: the Digital Credentials
Consortium's ``@digitalcredentials/verifier-core`` (the one behind the Learner Credential Wallet
and VerifierPlus), run by node through ``../shared/tools/vcheck/verify.mjs``.

The portal is served by a real server on a loopback port; its public URL is
``https://portal.test`` (so its issuer is ``did:web:portal.test``), then
``https://portal.test:8443`` under the prefix ``/mooc`` (``did:web:portal.test%3A8443:mooc``),
and the verifier's fetches of that host (the DID document, the status list) are mapped to the
loopback server with ``--fetch-base``. Nothing leaves the machine.

Without node, npm or the vcheck folder the tests skip with the reason; with
``MOOC_REQUIRE_VERIFIER`` set (CI) they fail instead. ``npm ci`` runs once and its
``node_modules`` is kept in ``.cache/vcheck`` (ignored by git) between runs.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from mooc_portal.certificates import services
from mooc_portal.certificates.models import Certificate
from mooc_portal.db import session, utcnow
from mooc_portal.enrollment import services as enrolment
from mooc_portal.mail import mail_suppressed
from mooc_portal.migrate import upgrade_database
from tests.conftest import make_test_app
from tests.factories import make_account, make_course, make_institution, make_run

ROOT = Path(__file__).resolve().parents[2]
VCHECK = ROOT.parent / "shared" / "tools" / "vcheck"
CACHE = ROOT / ".cache" / "vcheck"
SAMPLES = VCHECK / "samples"


def unavailable(reason: str) -> None:
    if os.environ.get("MOOC_REQUIRE_VERIFIER"):
        pytest.fail(f"MOOC_REQUIRE_VERIFIER is set but {reason}", pytrace=False)
    pytest.skip(reason)


def _installed_modules() -> Path:
    """``node_modules`` of vcheck, installed with ``npm ci`` once per package-lock.json."""
    lock = VCHECK / "package-lock.json"
    cached_lock = CACHE / "package-lock.json"
    modules = CACHE / "node_modules"
    if modules.is_dir() and cached_lock.is_file() and filecmp.cmp(lock, cached_lock, False):
        return modules
    shutil.rmtree(CACHE, ignore_errors=True)
    CACHE.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(VCHECK / name, CACHE / name)
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=CACHE,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        shutil.rmtree(CACHE, ignore_errors=True)
        unavailable(f"npm ci failed for vcheck: {result.stderr[-2000:]}")
    return modules


@pytest.fixture(scope="session")
def vcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of vcheck with its node_modules (from the cache)."""
    if not (VCHECK / "verify.mjs").is_file():
        unavailable(f"the independent verifier is not at {VCHECK}")
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")
    modules = _installed_modules()
    work = tmp_path_factory.mktemp("vcheck")
    for name in ("verify.mjs", "package.json", "package-lock.json"):
        shutil.copyfile(VCHECK / name, work / name)
    (work / "node_modules").symlink_to(modules, target_is_directory=True)
    return work


@dataclass
class Served:
    url: str
    host: str
    prefix: str
    did: str
    app: Any
    valid_code: str
    revoked_code: str
    revoked_credential: dict[str, Any]


# (public URL, URL prefix, the DID it gives): a plain host, and a port with a path, which
# did:web encodes (the port percent-encoded, the path as colon-separated segments).
SITES = [
    ("https://portal.test", "", "did:web:portal.test"),
    ("https://portal.test:8443", "/mooc", "did:web:portal.test%3A8443:mooc"),
]


@pytest.fixture(scope="module", params=SITES, ids=["host", "port-and-path"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    public_url, prefix, did = request.param
    database = tmp_path_factory.mktemp("verifier") / "portal.sqlite3"
    app = make_test_app(f"sqlite:///{database}", MOOC_PUBLIC_URL=public_url, MOOC_URL_PREFIX=prefix)
    with app.app_context():
        upgrade_database()
    with app.test_request_context(base_url=public_url):
        # A Korean institution with an English name: the credential names it in English.
        institution = make_institution(
            original_language="ko", names={"ko": "한빛대학교", "en": "Hanbit University"}
        )
        course = make_course(
            credential="certificate", title="해양 과학 Ocean Science", institution=institution
        )
        run = make_run(course, enrollment_start_at=utcnow() - timedelta(days=1))
        for name in ("Min-ji Park", "Jae-won Kim"):
            learner = make_account(display_name=name)
            enrollment = enrolment.enroll(run, learner, actor=learner)
            enrolment.complete(enrollment)
        session.commit()
        certificates = session.query(Certificate).order_by(Certificate.id).all()
        codes = [c.code for c in certificates]
        # Downloaded while still valid, as a learner keeps it in a wallet.
        revoked_credential = services.signed_open_badge(certificates[1])
        with mail_suppressed():
            services.revoke_certificate(
                certificates[1], "Plagiarism", actor=make_account(is_admin=True)
            )
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="verifier-portal", daemon=True)
    thread.start()
    try:
        yield Served(
            url=f"http://127.0.0.1:{server.server_port}",
            host=public_url.removeprefix("https://"),
            prefix=prefix,
            did=did,
            app=app,
            valid_code=codes[0],
            revoked_code=codes[1],
            revoked_credential=revoked_credential,
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def verify(vcheck: Path, served: Served, credential: dict[str, Any]) -> tuple[int, dict]:
    path = vcheck / "credential.json"
    path.write_text(json.dumps(credential, ensure_ascii=False))
    result = subprocess.run(
        ["node", "verify.mjs", str(path), "--fetch-base", f"{served.host}={served.url}"],
        cwd=vcheck,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, json.loads(result.stdout)


def download(served: Served, code: str) -> dict[str, Any]:
    import httpx

    response = httpx.get(f"{served.url}{served.prefix}/certificates/{code}.json", timeout=10)
    assert response.status_code == 200
    return response.json()


def test_a_portal_credential_verifies(vcheck, served):
    credential = download(served, served.valid_code)
    assert credential["issuer"]["id"] == served.did
    creator = credential["credentialSubject"]["achievement"]["creator"]
    assert creator["name"] == "Hanbit University"
    code, result = verify(vcheck, served, credential)
    assert result == {"signature": "valid", "status": "active", "expired": False, "errors": []}
    assert code == 0


def test_a_tampered_credential_is_rejected(vcheck, served):
    credential = download(served, served.valid_code)
    credential["credentialSubject"]["achievement"]["name"] = "Rocket Science"
    code, result = verify(vcheck, served, credential)
    assert result["signature"] == "invalid"
    assert code == 1


def test_a_revoked_credential_reports_revoked(vcheck, served):
    code, result = verify(vcheck, served, served.revoked_credential)
    assert result["signature"] == "valid"
    assert result["status"] == "revoked"
    assert code == 1


def test_a_sample_signed_by_another_implementation_passes_the_portal_check(app):
    if not SAMPLES.is_dir():
        unavailable(f"the verifier's samples are not at {SAMPLES}")
    good = json.loads((SAMPLES / "good.json").read_text())
    tampered = json.loads((SAMPLES / "tampered.json").read_text())
    assert services.verify_credential(good) is True
    assert services.verify_credential(tampered) is False
