"""Accessibility of the shared page parts, checked on the HTML without a browser."""

from __future__ import annotations

import re

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

FIELD = '{% from "mooc_portal/_macros.html" import field %}{{ field(form.name, help=help) }}'


class NameForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired()])


def render_field(app, data=None, help=None):
    with app.test_request_context("/", method="POST" if data is not None else "GET", data=data):
        form = NameForm(meta={"csrf": False})
        if data is not None:
            form.validate()
        return render_template_string(FIELD, form=form, help=help)


def test_field_without_help_or_error_has_no_empty_aria_attributes(app):
    html = render_field(app)
    assert "aria-" not in html
    assert re.search(r'<label for="name">Your name</label>', html)


def test_field_links_its_help_and_error_to_the_input(app):
    html = render_field(app, data={"name": ""}, help="As on your certificate.")
    control = re.search(r"<input [^>]*>", html).group(0)
    assert 'aria-describedby="name-help name-error"' in control
    assert 'aria-invalid="true"' in control
    assert 'id="name-help"' in html and 'id="name-error"' in html


class ApplyForm(FlaskForm):
    apply = BooleanField("Apply the changes")


def test_a_checkbox_comes_before_its_label_on_one_line(app):
    # The import page's "Apply" box sat on a line of its own, far below its label.
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "mooc_portal/_macros.html" import field %}{{ field(form.apply) }}',
            form=ApplyForm(meta={"csrf": False}),
        )
    assert 'class="field checkbox"' in html
    assert html.index('<input id="apply"') < html.index('<label for="apply">')
