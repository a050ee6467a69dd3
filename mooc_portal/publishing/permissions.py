"""Who may act on an institution's courses: its staff (editor, manager) and administrators.

A non-member is told the object does not exist (NotFound), so that staff of one institution
cannot even learn which drafts another one has.
"""

from __future__ import annotations

from flask_babel import gettext as _

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.accounts.permissions import require_admin
from mooc_portal.catalog.models import Course
from mooc_portal.errors import NotFound, NotPermitted
from mooc_portal.institutions.models import Institution

__all__ = ["require_account", "require_admin", "require_course_editor", "require_manager"]


def require_account(actor: Account | None) -> Account:
    if actor is None:
        raise NotPermitted(_("Log in to continue."))
    return actor


def require_staff(actor: Account | None, institution: Institution) -> Account:
    """The actor is a member (editor or manager) of the institution, or an administrator."""
    actor = require_account(actor)
    if actor.may_act_for(institution.id):
        return actor
    raise NotFound(_("No such institution."))


def require_manager(actor: Account | None, institution: Institution) -> Account:
    """The actor manages the institution, or is an administrator."""
    actor = require_staff(actor, institution)
    if actor.may_act_for(institution.id, StaffRole.MANAGER):
        return actor
    raise NotPermitted(_("Only the institution's managers may do this."))


def require_course_editor(actor: Account | None, course: Course) -> Account:
    """The actor may edit the course: staff of its institution, or an administrator."""
    actor = require_account(actor)
    if actor.may_act_for(course.institution_id):
        return actor
    raise NotFound(_("No such course."))
