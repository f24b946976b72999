"""Flask-WTF forms: shape checks only (rules live in the domain). CSRF on every form."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from custody.domain.enums import AgencyKind, Role, StorageKind


def options(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select options."""
    return [SelectChoice(value, label) for value, label in pairs]


LOCALE_CHOICES = options([("zh_CN", "中文"), ("en", "English")])


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def role_choices() -> list[tuple[str, str]]:
    return options((r.value, _l(r.label)) for r in Role)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    submit = SubmitField(_l("Switch"))


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=64)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])
    agency_id = SelectField(_l("Agency"), coerce=int, validators=[DataRequired()])
    roles = MultiCheckboxField(_l("Roles"), validators=[DataRequired()])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    submit = SubmitField(_l("Create user"))


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])
    agency_id = SelectField(_l("Agency"), coerce=int, validators=[DataRequired()])
    roles = MultiCheckboxField(_l("Roles"), validators=[DataRequired()])
    is_active = BooleanField(_l("Account active"))
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    submit = SubmitField(_l("Save"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set password"))


class UnlockForm(FlaskForm):
    submit = SubmitField(_l("Unlock account"))


class AgencyForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=2, max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=2, max=128)])
    kind = SelectField(_l("Kind"), choices=options((k.value, _l(k.label)) for k in AgencyKind))
    submit = SubmitField(_l("Add agency"))


class AgencyEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=2, max=128)])
    is_active = BooleanField(_l("Active"))
    submit = SubmitField(_l("Save"))


class LocationForm(FlaskForm):
    centre_id = SelectField(_l("Custody centre"), coerce=int, validators=[DataRequired()])
    parent_id = SelectField(_l("Inside"), coerce=int, validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=options((k.value, _l(k.label)) for k in StorageKind))
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=128)])
    submit = SubmitField(_l("Add location"))
