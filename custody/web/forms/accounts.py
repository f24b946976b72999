"""Forms of signing in, one's own account and the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from custody.domain.enums import (
    AgencyKind,
    Role,
    StorageHolds,
    StorageKind,
)

from .common import (
    MultiCheckboxField,
    options,
)

LOCALE_CHOICES = options([("zh_CN", "中文"), ("en", "English")])


def role_choices() -> list[tuple[str, str]]:
    return options((r.value, _l(r.label)) for r in Role)


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class CodeForm(FlaskForm):
    """A second-factor code: six digits from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Verification code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("The 6 digits your authenticator app shows now, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )
    submit = SubmitField(_l("Confirm"))


class ConfirmIdentityForm(FlaskForm):
    """Re-authentication before a sensitive step: a second-factor code, or the password."""

    secret = PasswordField(
        _l("Code or password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("The code of your authenticator app; your password if you have no second factor."),
        render_kw={"autocomplete": "one-time-code", "autofocus": True},
    )
    submit = SubmitField(_l("Confirm"))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    submit = SubmitField(_l("Switch"))


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=64)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])
    agency_id = SelectField(_l("Agency"), coerce=int, validators=[DataRequired()])
    roles = MultiCheckboxField(_l("Roles"), validators=[DataRequired()])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    submit = SubmitField(_l("Create user"))


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])
    agency_id = SelectField(_l("Agency"), coerce=int, validators=[DataRequired()])
    roles = MultiCheckboxField(_l("Roles"), validators=[DataRequired()])
    is_active = BooleanField(_l("Account active"))
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    submit = SubmitField(_l("Save"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l(
            "At least 12 characters; a few unrelated words are easy to remember and hard to guess."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set password"))


class UnlockForm(FlaskForm):
    submit = SubmitField(_l("Unlock account"))


class MfaResetForm(FlaskForm):
    submit = SubmitField(_l("Remove the second factor"))


class AgencyForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=2, max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=2, max=128)])
    kind = SelectField(_l("Kind"), choices=options((k.value, _l(k.label)) for k in AgencyKind))
    submit = SubmitField(_l("Add agency"))


class AgencyEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=2, max=128)])
    is_active = BooleanField(_l("Active"))
    submit = SubmitField(_l("Save"))


class CentreOperatorForm(FlaskForm):
    operator_agency_id = SelectField(
        _l("Operator agency"),
        coerce=int,
        validators=[Optional()],
        description=_l(
            "Its keepers check in, move, release, take back and execute disposals in this centre for "
            "every custodian agency, recorded as acting for the custodian. Legal custody does not change."
        ),
    )
    submit = SubmitField(_l("Save operator"))


class LocationForm(FlaskForm):
    centre_id = SelectField(_l("Custody centre"), coerce=int, validators=[DataRequired()])
    parent_id = SelectField(_l("Inside"), coerce=int, validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=options((k.value, _l(k.label)) for k in StorageKind))
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=128)])
    holds = SelectField(
        _l("Made for"),
        choices=options(
            [("", _l("As the location it is in")), *((h.value, _l(h.label)) for h in StorageHolds)]
        ),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Add location"))


class CalendarOverrideForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    kind = SelectField(_l("The day is"), validators=[DataRequired()])
    note = StringField(
        _l("Why (e.g. the State Council notice)"), validators=[DataRequired(), Length(max=200)]
    )
    submit = SubmitField(_l("Add the override"))


class RemoveOverrideForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    submit = SubmitField(_l("Remove"))
