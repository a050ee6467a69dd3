"""The administrators' list of certificates: searched by learner, course, institution or
certificate."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from mooc_portal.accounts.models import Account
from mooc_portal.catalog.models import Course
from mooc_portal.certificates.models import Certificate
from mooc_portal.enrollment.models import Enrollment
from mooc_portal.errors import NotPermitted
from mooc_portal.institutions.models import InstitutionTranslation
from mooc_portal.pagination import Page, PageRequest, paginate

SEARCH_MAX_LENGTH = 200


def certificates_query(text: str = "") -> Select[Any]:
    """Certificates, newest first; with ``text``, those whose learner's name or e-mail
    address, course title, institution's name (as printed on the certificate, or the
    institution's name in any language today) or certificate code (or public identifier)
    contains it, whatever its case."""
    statement = (
        select(Certificate)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .join(Account, Account.id == Enrollment.account_id)
    )
    words = text.strip()[:SEARCH_MAX_LENGTH].lower()
    if words:
        matches = [
            func.lower(column).contains(words, autoescape=True)
            for column in (
                Certificate.learner_name,
                Account.email,
                Certificate.course_title,
                Certificate.institution_name,
                Certificate.code,
            )
        ]
        named = (
            select(InstitutionTranslation.id)
            .join(Course, Course.institution_id == InstitutionTranslation.institution_id)
            .where(
                Course.id == Enrollment.course_id,
                func.lower(InstitutionTranslation.name).contains(words, autoescape=True),
            )
        )
        matches.append(named.exists())
        with contextlib.suppress(ValueError):  # a certificate's public identifier
            matches.append(Certificate.uuid == uuid.UUID(words))
        statement = statement.where(or_(*matches))
    return statement.order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def search_certificates(actor: Account | None, text: str, page: PageRequest) -> Page[Certificate]:
    """One page of the certificates matching ``text`` (administrators only).

    Raises:
        NotPermitted: ``actor`` is not an administrator.
    """
    if actor is None or not actor.is_admin:
        raise NotPermitted(_("Only administrators may list certificates."))
    return paginate(certificates_query(text), page)
