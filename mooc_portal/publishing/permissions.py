"""Who may act on an institution's courses: its staff (editor, manager) and administrators.

A non-member is told the object does not exist (NotFound), so that staff of one institution
cannot even learn which drafts another one has. Courses and institutions harvested from a peer
portal are edited on that portal only: every edit here is refused with a Conflict (409).
"""

from __future__ import annotations

from flask_babel import gettext as _

from mooc_portal.accounts.models import Account, StaffRole
from mooc_portal.accounts.permissions import require_admin
from mooc_portal.catalog.models import Course
from mooc_portal.errors import Conflict, NotFound, NotPermitted
from mooc_portal.institutions.models import Institution

__all__ = [
    "refuse_federated",
    "require_account",
    "require_admin",
    "require_course_editor",
    "require_manager",
]


def refuse_federated(institution: Institution) -> None:
    """An institution harvested from a peer portal, and its courses (a harvested course always
    belongs to a harvested institution), are changed on that portal only, never here."""
    peer = institution.harvested_from
    if peer is not None:
        raise Conflict(_("This comes from %(peer)s and can only be changed there.", peer=peer))


def require_account(actor: Account | None) -> Account:
    if actor is None:
        raise NotPermitted(_("Log in to continue."))
    return actor


def require_staff(actor: Account | None, institution: Institution) -> Account:
    """The actor is a member (editor or manager) of the institution, or an administrator."""
    actor = require_account(actor)
    if actor.may_act_for(institution.id):
        refuse_federated(institution)
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
        refuse_federated(course.institution)
        return actor
    raise NotFound(_("No such course."))
