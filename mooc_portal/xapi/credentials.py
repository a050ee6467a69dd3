"""Partner credentials for ``/xapi``: created and revoked by the institution's managers."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.db import session, utcnow
from mooc_portal.errors import InvalidInput, NotFound, NotPermitted
from mooc_portal.institutions.models import Institution
from mooc_portal.pagination import Page, PageRequest, paginate
from mooc_portal.xapi.models import XapiCredential


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def require_manager(actor: Account | None, institution: Institution) -> None:
    """Raises NotPermitted unless ``actor`` manages ``institution`` (or is an administrator)."""
    if actor is None:
        raise NotPermitted(_("Log in as a manager of this institution."))
    if not actor.is_admin and actor.role_in(institution.id) != StaffRole.MANAGER:
        raise NotPermitted(_("Only the institution's managers manage its xAPI credentials."))


def create_credential(
    actor: Account | None, institution: Institution, name: str
) -> tuple[XapiCredential, str]:
    """A new key for one client of ``institution``; returns it with its secret, shown once.

    Raises NotPermitted (not a manager) and InvalidInput (``name``).
    """
    require_manager(actor, institution)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Name the client (up to 100 characters)."), field="name")
    secret = secrets.token_urlsafe(32)
    credential = XapiCredential(
        institution_id=institution.id,
        name=name,
        key="xapi_" + secrets.token_hex(12),
        secret_hash=_hash(secret),
        created_by_id=actor.id if actor else None,
    )
    session.add(credential)
    session.flush()
    return credential, secret


def list_credentials(
    actor: Account | None, institution: Institution, page: PageRequest
) -> Page[XapiCredential]:
    """One page of the institution's credentials, newest first (its managers only)."""
    require_manager(actor, institution)
    return paginate(
        select(XapiCredential)
        .where(XapiCredential.institution_id == institution.id)
        .order_by(XapiCredential.created_at.desc(), XapiCredential.id.desc()),
        page,
    )


def revoke_credential(
    actor: Account | None, institution: Institution, credential_id: int
) -> XapiCredential:
    """Revoke at once: the next request with this key is refused (401)."""
    require_manager(actor, institution)
    credential = session.get(XapiCredential, credential_id)
    if credential is None or credential.institution_id != institution.id:
        raise NotFound(_("No such credential."))
    if credential.revoked_at is None:
        credential.revoked_at = utcnow()
        session.flush()
    return credential


def authenticate(key: str, secret: str) -> XapiCredential | None:
    """The active credential ``key`` names when ``secret`` is its secret, of an active
    institution; None otherwise."""
    if not key.startswith("xapi_") or len(key) > 40 or len(secret) > 200:
        return None
    credential = session.scalar(
        select(XapiCredential)
        .join(Institution, Institution.id == XapiCredential.institution_id)
        .where(
            XapiCredential.key == key,
            XapiCredential.revoked_at.is_(None),
            Institution.active.is_(True),
        )
    )
    if credential is None or not hmac.compare_digest(credential.secret_hash, _hash(secret)):
        return None
    return credential
