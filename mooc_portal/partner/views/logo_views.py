"""An institution's logo: uploaded by its managers (or administrators) like a course picture,
stored in the media store and shown on the institution pages, the list and course pages."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from mooc_portal.accounts.permissions import login_required
from mooc_portal.accounts.services import current_account
from mooc_portal.forms import form_status, service_errors_shown_on
from mooc_portal.partner.forms import LogoForm
from mooc_portal.partner.views import bp
from mooc_portal.publishing import media, staff
from mooc_portal.publishing.permissions import require_manager


def logo_page(institution: Any, back_url: str) -> Any:
    """The logo upload form for ``institution``; back to ``back_url`` once saved."""
    actor = current_account()
    require_manager(actor, institution)
    form = LogoForm()
    if form.validate_on_submit():
        with service_errors_shown_on(form):
            name = media.replace_image(form.image.data.stream, institution.logo)
            staff.set_institution_logo(actor, institution, name)
            flash(_("The logo is saved."), "success")
            return redirect(back_url)
    return render_template(
        "mooc_portal/partner/form.html",
        form=form,
        multipart=True,
        heading=_("Logo of %(name)s", name=institution.text("name", "en").text),
        back_url=back_url,
        submit_label=_("Upload"),
    ), form_status(form)


@bp.route("/<slug>/logo", methods=["GET", "POST"])
@login_required
def institution_logo(slug: str) -> Any:
    institution = staff.get_institution_for_staff(current_account(), slug)
    return logo_page(institution, url_for(".dashboard", slug=slug))
