"""Institutions and their staff: administrators create, edit and deactivate institutions and
assign staff; managers invite and remove their institution's staff and edit its profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from mooc_portal.accounts.models import Account, Membership, StaffRole
from mooc_portal.accounts.services import needs_password, new_invitation_nonce, normalize_email
from mooc_portal.accounts.tokens import invitation_token
from mooc_portal.audit.services import record_change, snapshot
from mooc_portal.catalog.models import Course
from mooc_portal.catalog.search import index_course
from mooc_portal.db import session
from mooc_portal.errors import Conflict, InvalidInput, NotFound
from mooc_portal.i18n import parse_language_tag
from mooc_portal.institutions.models import Institution, InstitutionKind, InstitutionTranslation
from mooc_portal.institutions.services import InstitutionFilter
from mooc_portal.mail import mail_language, send_mail
from mooc_portal.pagination import Page, PageRequest, paginate
from mooc_portal.publishing.permissions import require_admin, require_manager, require_staff
from mooc_portal.reference import ASEM_COUNTRIES, region_of
from mooc_portal.slugs import slugify
from mooc_portal.urls import external_url

PROFILE_FIELDS = (
    "country",
    "region",
    "original_language",
    "website",
    "contact_email",
    "kind",
    "active",
)


@dataclass
class InstitutionData:
    """An institution's profile, with its name and description in its original language."""

    name: str
    country: str
    original_language: str = "en"
    short_name: str | None = None
    description: str | None = None
    website: str | None = None
    contact_email: str | None = None
    slug: str | None = None
    kind: str = InstitutionKind.UNIVERSITY.value


def _profile(institution: Institution) -> dict[str, Any]:
    data = snapshot(institution, PROFILE_FIELDS)
    for t in institution.translations:
        data[f"name[{t.language}]"] = t.name
        data[f"short_name[{t.language}]"] = t.short_name
        data[f"description[{t.language}]"] = t.description
    return data


def _clean_name(value: str | None) -> str:
    """An institution's name, in any language (the profile's, or one added)."""
    name = (value or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput(_("Enter a name of at most 200 characters."), field="name")
    return name


def _clean_short_name(value: str | None) -> str | None:
    short_name = (value or "").strip() or None
    if short_name and len(short_name) > 40:
        raise InvalidInput(_("Use at most 40 characters."), field="short_name")
    return short_name


def _clean_institution(data: InstitutionData) -> dict[str, Any]:
    name = _clean_name(data.name)
    country = (data.country or "").strip().upper()
    if country not in ASEM_COUNTRIES:
        raise InvalidInput(_("Choose an ASEM partner country."), field="country")
    try:
        language = parse_language_tag(data.original_language)
    except ValueError as exc:
        raise InvalidInput(
            _("Choose a valid language tag, such as en or ko."), field="original_language"
        ) from exc
    website = (data.website or "").strip() or None
    if website and (urlsplit(website).scheme not in ("http", "https") or len(website) > 300):
        raise InvalidInput(_("Enter a web address starting with https://."), field="website")
    email = normalize_email(data.contact_email or "") or None
    if email and ("@" not in email or len(email) > 254):
        raise InvalidInput(_("Enter a valid e-mail address."), field="contact_email")
    if data.kind not in {k.value for k in InstitutionKind}:
        raise InvalidInput(_("Choose a kind of organisation from the list."), field="kind")
    short_name = _clean_short_name(data.short_name)
    return {
        "name": name,
        "country": country,
        "region": region_of(country).value,
        "original_language": language,
        "website": website,
        "contact_email": email,
        "kind": data.kind,
        "short_name": short_name,
        "description": (data.description or "").strip() or None,
    }


def _apply_institution(institution: Institution, clean: dict[str, Any]) -> None:
    for name in ("country", "region", "original_language", "website", "contact_email", "kind"):
        setattr(institution, name, clean[name])
    translation = next(
        (t for t in institution.translations if t.language == clean["original_language"]), None
    )
    if translation is None:
        translation = InstitutionTranslation(language=clean["original_language"], name="")
        institution.translations.append(translation)
    translation.name = clean["name"]
    translation.short_name = clean["short_name"]
    translation.description = clean["description"]


def create_institution(actor: Account | None, data: InstitutionData) -> Institution:
    actor = require_admin(actor)
    clean = _clean_institution(data)
    slug = slugify(data.slug or clean["name"])[:80]
    if not slug:
        raise InvalidInput(_("Use letters, digits and hyphens."), field="slug")
    if session.scalar(select(Institution.id).where(Institution.slug == slug)) is not None:
        raise Conflict(_("This web address is taken."), field="slug")
    institution = Institution(slug=slug, active=True)
    _apply_institution(institution, clean)
    session.add(institution)
    session.flush()
    record_change(
        actor,
        "create",
        "institution",
        institution.id,
        after=_profile(institution),
        institution_id=institution.id,
        summary=slug,
    )
    return institution


def update_institution(
    actor: Account | None, institution: Institution, data: InstitutionData
) -> Institution:
    """Edit the profile (the institution's managers, or administrators)."""
    actor = require_manager(actor, institution)
    clean = _clean_institution(data)
    before = _profile(institution)
    _apply_institution(institution, clean)
    _profile_changed(actor, institution, before, institution.slug)
    return institution


@dataclass
class InstitutionNameData:
    """The institution's name, short name and description in one language."""

    language: str
    name: str
    short_name: str | None = None
    description: str | None = None


def _clean_institution_name(data: InstitutionNameData) -> dict[str, Any]:
    try:
        language = parse_language_tag(data.language)
    except ValueError as exc:
        raise InvalidInput(_("Choose a language from the list."), field="language") from exc
    name = _clean_name(data.name)
    short_name = _clean_short_name(data.short_name)
    description = (data.description or "").strip() or None
    if description and len(description) > 10000:
        raise InvalidInput(_("Use at most 10,000 characters."), field="description")
    return {
        "language": language,
        "name": name,
        "short_name": short_name,
        "description": description,
    }


def save_institution_name(
    actor: Account | None,
    institution: Institution,
    data: InstitutionNameData,
    *,
    new: bool = False,
) -> InstitutionTranslation:
    """Add (``new``) or edit the institution's name in one language (its managers, or
    administrators), so that visitors reading that language see it rather than the original.

    Raises InvalidInput naming the field; Conflict (at ``language``) when ``new`` and the
    institution already has a name in that language.
    """
    actor = require_manager(actor, institution)
    clean = _clean_institution_name(data)
    translation = next(
        (t for t in institution.translations if t.language == clean["language"]), None
    )
    if new and translation is not None:
        raise Conflict(
            _("The institution already has a name in this language: edit that one."),
            field="language",
        )
    before = _profile(institution)
    if translation is None:
        translation = InstitutionTranslation(language=clean["language"], name="")
        institution.translations.append(translation)
    translation.name = clean["name"]
    translation.short_name = clean["short_name"]
    translation.description = clean["description"]
    _profile_changed(actor, institution, before, f"{institution.slug}: {clean['language']}")
    return translation


def delete_institution_name(actor: Account | None, institution: Institution, language: str) -> None:
    """Remove the institution's name in ``language`` (not its original language's)."""
    actor = require_manager(actor, institution)
    translation = next((t for t in institution.translations if t.language == language), None)
    if translation is None:
        raise NotFound(_("The institution has no name in this language."))
    if language == institution.original_language:
        raise Conflict(
            _(
                "The name in the original language cannot be removed: choose another original "
                "language in the profile first."
            )
        )
    before = _profile(institution)
    institution.translations.remove(translation)
    _profile_changed(actor, institution, before, f"{institution.slug}: {language}")


def set_institution_logo(actor: Account | None, institution: Institution, name: str) -> None:
    """Show the stored image ``name`` (``media.replace_image``) as the institution's logo (its
    managers, or administrators); the replaced logo is no longer served."""
    from mooc_portal.publishing.media import delete_image

    actor = require_manager(actor, institution)
    before = {"logo": institution.logo}
    institution.logo = name
    session.flush()
    if before["logo"] != name:
        delete_image(before["logo"])
    record_change(
        actor,
        "update",
        "institution",
        institution.id,
        before=before,
        after={"logo": name},
        institution_id=institution.id,
        summary=institution.slug,
    )


def _profile_changed(
    actor: Account, institution: Institution, before: dict[str, Any], summary: str
) -> None:
    """After an edit of the profile or of a name: the audit log's before and after, and the
    search documents of the institution's courses (they hold its names)."""
    session.flush()
    record_change(
        actor,
        "update",
        "institution",
        institution.id,
        before=before,
        after=_profile(institution),
        institution_id=institution.id,
        summary=summary,
    )
    _reindex(institution)


def _reindex(institution: Institution) -> None:
    for course in session.scalars(select(Course).where(Course.institution_id == institution.id)):
        index_course(course)


def set_institution_active(actor: Account | None, institution: Institution, active: bool) -> None:
    """Deactivate (its courses leave the public catalog; nothing is deleted) or reactivate."""
    actor = require_admin(actor)
    if institution.active == active:
        return
    institution.active = active
    session.flush()
    record_change(
        actor,
        "activate" if active else "deactivate",
        "institution",
        institution.id,
        before={"active": not active},
        after={"active": active},
        institution_id=institution.id,
        summary=institution.slug,
    )


def list_institutions(actor: Account | None) -> list[Institution]:
    require_admin(actor)
    return list(session.scalars(select(Institution).order_by(Institution.slug)))


def institutions_page(
    actor: Account | None, filter_: InstitutionFilter, page: PageRequest
) -> Page[Institution]:
    """One page of every institution, active or not, in the chosen region and country, by
    country and then web address name (administrators only)."""
    require_admin(actor)
    statement = select(Institution).order_by(Institution.country, Institution.slug)
    if filter_.region is not None:
        statement = statement.where(Institution.region == filter_.region.value)
    if filter_.country is not None:
        statement = statement.where(Institution.country == filter_.country)
    return paginate(statement, page)


def get_institution(slug: str) -> Institution:
    institution = session.scalar(select(Institution).where(Institution.slug == slug))
    if institution is None:
        raise NotFound(_("No such institution."))
    return institution


def get_institution_for_staff(actor: Account | None, slug: str) -> Institution:
    institution = get_institution(slug)
    require_staff(actor, institution)
    return institution


def institution_staff_page(
    actor: Account | None, institution: Institution, page: PageRequest
) -> Page[Membership]:
    """One page of the institution's staff, by e-mail address (its staff and administrators)."""
    require_staff(actor, institution)
    statement = (
        select(Membership)
        .join(Membership.account)
        .where(Membership.institution_id == institution.id)
        .order_by(Account.email, Membership.id)
    )
    return paginate(statement, page)


def _audit_staff(
    actor: Account, action: str, institution: Institution, email: str, **kw: Any
) -> None:
    record_change(
        actor,
        action,
        "staff",
        institution.id,
        institution_id=institution.id,
        summary=f"{institution.slug}: {email}",
        **kw,
    )


def invite_staff(
    actor: Account | None,
    institution: Institution,
    email: str,
    role: str,
    *,
    display_name: str | None = None,
) -> Membership:
    """Invite a person to the institution's staff, creating their account if needed.

    The membership stays pending, granting nothing, until the invitee follows the single-use
    link mailed to the address (see :func:`~mooc_portal.accounts.services.accept_invitation`):
    whoever registered the address beforehand does not become staff by the invitation. Inviting
    someone whose invitation is pending sends a new link (the old one stops working). Raises
    InvalidInput naming the field, Conflict when the person is already on the staff.
    """
    actor = require_manager(actor, institution)
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email")
    if role not in {r.value for r in StaffRole}:
        raise InvalidInput(_("Choose editor or manager."), field="role")
    account = session.scalar(select(Account).where(Account.email == email))
    if account is None:
        account = Account(email=email, display_name=(display_name or email.split("@")[0])[:120])
        session.add(account)
        session.flush()
    membership = next((m for m in account.memberships if m.institution_id == institution.id), None)
    if membership is not None and membership.accepted_at is not None:
        raise Conflict(_("This person is already on the staff."), field="email")
    if membership is None:
        membership = Membership(institution=institution, role=role)
        account.memberships.append(membership)
    membership.role = role
    membership.invitation_nonce = new_invitation_nonce()
    session.flush()
    _audit_staff(actor, "invite", institution, email, after={"email": email, "role": role})
    _mail_invitation(membership)
    return membership


def _mail_invitation(membership: Membership) -> None:
    account = membership.account
    institution = membership.institution
    # In the invitee's language, the institution named in it as far as it has a name in it.
    language = mail_language(account)
    with force_locale(language):
        _mail_invitation_in(membership, institution.text("name", language).text)


def _mail_invitation_in(membership: Membership, name: str) -> None:
    account = membership.account
    link = external_url("portal.partner.accept_invitation", token=invitation_token(membership))
    days = max(1, current_app.config["MOOC_INVITATION_MAX_AGE"] // 86400)
    if needs_password(account):
        body = _(
            "You have been invited to edit the courses of %(name)s on the ASEM MOOC Portal.\n\n"
            "Open this link within %(days)d days to accept and choose your password:\n"
            "%(link)s\n",
            name=name,
            days=days,
            link=link,
        )
    else:
        body = _(
            "You have been invited to join the staff of %(name)s on the ASEM MOOC Portal.\n\n"
            "Log in as %(email)s, then open this link within %(days)d days to accept:\n"
            "%(link)s\n\n"
            "If you do not know the password of %(email)s, choose a new one first:\n"
            "%(forgot)s\n",
            name=name,
            email=account.email,
            days=days,
            link=link,
            forgot=external_url("portal.accounts.forgot_password"),
        )
    send_mail(account.email, _("Invitation to the ASEM MOOC Portal"), body)


def _managers_left(institution: Institution, without: Membership) -> int:
    return (
        session.scalar(
            select(func.count(Membership.id)).where(
                Membership.institution_id == institution.id,
                Membership.role == StaffRole.MANAGER,
                Membership.accepted_at.is_not(None),
                Membership.id != without.id,
            )
        )
        or 0
    )


def find_membership(institution: Institution, account_uuid: UUID) -> Membership:
    """The membership of the account with this public id in the institution, else NotFound."""
    membership = session.scalar(
        select(Membership)
        .join(Account, Account.id == Membership.account_id)
        .where(Membership.institution_id == institution.id, Account.uuid == account_uuid)
    )
    if membership is None:
        raise NotFound(_("No such staff member."))
    return membership


def change_staff_role(
    actor: Account | None, institution: Institution, account_uuid: UUID, role: str
) -> Membership:
    actor = require_manager(actor, institution)
    if role not in {r.value for r in StaffRole}:
        raise InvalidInput(_("Choose editor or manager."), field="role")
    membership = find_membership(institution, account_uuid)
    if (
        membership.role == StaffRole.MANAGER
        and role != StaffRole.MANAGER
        and not actor.is_admin
        and _managers_left(institution, membership) == 0
    ):
        raise Conflict(_("An institution keeps at least one manager."), field="role")
    before = {"role": membership.role}
    membership.role = role
    session.flush()
    _audit_staff(
        actor, "update", institution, membership.account.email, before=before, after={"role": role}
    )
    return membership


def remove_staff(actor: Account | None, institution: Institution, account_uuid: UUID) -> None:
    actor = require_manager(actor, institution)
    membership = find_membership(institution, account_uuid)
    if (
        membership.role == StaffRole.MANAGER
        and not actor.is_admin
        and _managers_left(institution, membership) == 0
    ):
        raise Conflict(_("An institution keeps at least one manager."))
    email = membership.account.email
    _audit_staff(
        actor, "remove", institution, email, before={"email": email, "role": membership.role}
    )
    membership.account.memberships.remove(membership)
    session.flush()
