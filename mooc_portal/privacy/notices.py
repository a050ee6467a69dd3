"""The privacy notice: published versions in each interface language, and who was shown which.

A version is never edited once published; an administrator publishes a new one, which every
learner is shown (and acknowledges) at their next log-in. Registration records the version the
visitor was shown on the registration page.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from mooc_portal.accounts.models import Account
from mooc_portal.audit.services import record_change
from mooc_portal.db import session
from mooc_portal.errors import InvalidInput, NotFound, NotPermitted
from mooc_portal.i18n import language_name
from mooc_portal.privacy.models import NoticeAcknowledgement, PrivacyNotice, PrivacyNoticeText

MAX_BODY = 50_000


def current_notice() -> PrivacyNotice | None:
    """The latest published version, or None while no notice has been published."""
    return session.scalar(select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1))


def current_version() -> int | None:
    return session.scalar(select(func.max(PrivacyNotice.version)))


def get_notice(version: int) -> PrivacyNotice:
    notice = session.scalar(select(PrivacyNotice).where(PrivacyNotice.version == version))
    if notice is None:
        raise NotFound(_("No such version of the privacy notice."))
    return notice


def all_notices() -> list[PrivacyNotice]:
    return list(session.scalars(select(PrivacyNotice).order_by(PrivacyNotice.version.desc())))


def default_language() -> str:
    """The one language every notice has a text in (publishing requires it), and so the text a
    learner whose own language has none reads: the portal's ``MOOC_DEFAULT_LANGUAGE``."""
    return str(current_app.config["MOOC_DEFAULT_LANGUAGE"])


def notice_text(notice: PrivacyNotice, language: str) -> PrivacyNoticeText | None:
    """The notice's text for a reader of ``language``: theirs, else the default language's."""
    return notice.text_in(language, default_language())


def publish_notice(texts: dict[str, str], *, changes: str, actor: Account) -> PrivacyNotice:
    """Publish a new version with its text in the interface languages (administrators only).

    The portal's default language needs a text; the other interface languages are optional,
    and a learner whose language has none reads the default language's text (marked with its
    ``lang``), as with every other text on the portal. Raises NotPermitted, or InvalidInput
    naming the language (``body_<language>``).
    """
    if not actor.is_admin:
        raise NotPermitted(_("Only administrators may publish the privacy notice."))
    default = default_language()
    cleaned: dict[str, str] = {}
    for language in current_app.config["MOOC_LANGUAGES"]:
        body = (texts.get(language) or "").strip()
        if not body:
            if language == default:
                raise InvalidInput(
                    _(
                        "Write the notice at least in %(language)s: learners whose language "
                        "has no text of its own read it in %(language)s.",
                        language=language_name(default, str(get_locale() or default)),
                    ),
                    field=f"body_{language}",
                )
            continue
        if len(body) > MAX_BODY:
            raise InvalidInput(
                _("Write the notice in at most 50,000 characters."), field=f"body_{language}"
            )
        cleaned[language] = body
    notice = PrivacyNotice(
        version=(current_version() or 0) + 1,
        published_by_id=actor.id,
        changes=(changes or "").strip()[:300],
        texts=[PrivacyNoticeText(language=lang, body=body) for lang, body in cleaned.items()],
    )
    session.add(notice)
    session.flush()
    record_change(
        actor,
        "publish",
        "privacy_notice",
        notice.id,
        after={"version": notice.version, "changes": notice.changes},
        summary=f"Privacy notice version {notice.version}",
    )
    return notice


def acknowledge(
    account: Account, notice: PrivacyNotice, *, language: str, context: str
) -> NoticeAcknowledgement:
    """Record that ``account`` was shown ``notice`` in ``language`` (at registration or log-in)."""
    if context not in ("registration", "login"):
        raise InvalidInput(_("Unknown context."))
    entry = NoticeAcknowledgement(
        account_id=account.id, notice_id=notice.id, language=language, context=context
    )
    session.add(entry)
    session.flush()
    return entry


def record_shown_at_registration(account: Account, version: int | None, language: str) -> None:
    """Registration: record the version the registration page showed (when one was shown).

    An unknown version (a forged form) is ignored: the next log-in then asks again.
    """
    if version is None:
        return
    notice = session.scalar(select(PrivacyNotice).where(PrivacyNotice.version == version))
    if notice is not None:
        acknowledge(account, notice, language=language, context="registration")


def acknowledged_version(account: Account) -> int | None:
    """The newest notice version the account was shown, or None."""
    return session.scalar(
        select(func.max(PrivacyNotice.version))
        .join(NoticeAcknowledgement, NoticeAcknowledgement.notice_id == PrivacyNotice.id)
        .where(NoticeAcknowledgement.account_id == account.id)
    )


def pending_notice(account: Account) -> PrivacyNotice | None:
    """The current notice when ``account`` has not acknowledged it yet, else None."""
    notice = current_notice()
    if notice is None:
        return None
    seen = acknowledged_version(account)
    return notice if seen is None or seen < notice.version else None


def acknowledgements(account: Account) -> list[NoticeAcknowledgement]:
    return list(
        session.scalars(
            select(NoticeAcknowledgement)
            .where(NoticeAcknowledgement.account_id == account.id)
            .order_by(NoticeAcknowledgement.at, NoticeAcknowledgement.id)
        )
    )
