"""Forms of the money pages (shape only: amounts are typed in 元 and become integer 分; the services
decide everything else)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from .lifecycle_forms import LifecycleForm, YuanField


class DepositForm(LifecycleForm):
    amount = YuanField(_l("Amount (yuan)"), validators=[InputRequired()])
    account_id = SelectField(_l("Case-money account"), validate_choice=False)
    slip_no = StringField(_l("Bank slip number"), validators=[DataRequired(), Length(max=64)])
    bank = StringField(_l("Bank"), validators=[Optional(), Length(max=100)])
    payer_account = StringField(_l("Paying-in account"), validators=[Optional(), Length(max=40)])
    payer_name = StringField(_l("Paid in by"), validators=[Optional(), Length(max=100)])
    value_date = DateField(_l("Date on the slip"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2})
    submit = SubmitField(_l("Record the deposit"))


class LedgerEntryForm(LifecycleForm):
    """Interest, a refund from the treasury, or a remittance to the treasury on one ledger."""

    amount = YuanField(_l("Amount (yuan)"), validators=[InputRequired()])
    reference = StringField(
        _l("Reference (bank slip, 缴款书 or refund document)"), validators=[DataRequired(), Length(max=64)]
    )
    value_date = DateField(_l("Date"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record"))


class VictimForm(LifecycleForm):
    name = StringField(_l("Victim's name"), validators=[DataRequired(), Length(max=100)])
    id_no = StringField(_l("ID number"), validators=[Optional(), Length(max=32)])
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=64)])
    payee_bank = StringField(_l("Payee bank"), validators=[Optional(), Length(max=100)])
    payee_account = StringField(_l("Payee account"), validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Add the victim"))


class ClaimForm(LifecycleForm):
    klass = SelectField(_l("Class (2014规定 art. 13)"), validators=[DataRequired()])
    victim_id = SelectField(_l("Victim"), validate_choice=False)
    claimed = YuanField(_l("Amount claimed (yuan)"), validators=[InputRequired()])
    confirmed = YuanField(_l("Amount the judgment confirms (yuan)"), validators=[Optional()])
    compensated = YuanField(_l("Already received elsewhere (yuan)"), validators=[Optional()])
    basis = StringField(_l("Basis (the judgment's item)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Add the claim"))


class ConfirmClaimForm(LifecycleForm):
    confirmed = YuanField(_l("Amount the judgment confirms (yuan)"), validators=[InputRequired()])
    compensated = YuanField(_l("Already received elsewhere (yuan)"), validators=[Optional()])
    basis = StringField(_l("Basis (the judgment's item)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Confirm"))


class PlanForm(LifecycleForm):
    legal_basis = StringField(
        _l("Legal basis (default: the judgment number)"), validators=[Optional(), Length(max=200)]
    )
    submit = SubmitField(_l("Generate the restitution plan"))


class PlanDecisionForm(LifecycleForm):
    reason = TextAreaField(
        _l("Reason (required to reject or withdraw)"),
        validators=[Optional(), Length(max=500)],
        render_kw={"rows": 2},
    )
    confirm = PasswordField(
        _l("Your authenticator code (or password)"),
        validators=[Optional(), Length(max=256)],
        render_kw={"autocomplete": "one-time-code"},
    )
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Do not approve"))
    cancel = SubmitField(_l("Withdraw the plan"))


class PayForm(LifecycleForm):
    receipt_no = StringField(_l("Receipt or 缴款书 number"), validators=[DataRequired(), Length(max=64)])
    value_date = DateField(_l("Date paid"), validators=[Optional()])
    submit = SubmitField(_l("Record the payment"))


class StatementUploadForm(LifecycleForm):
    file = FileField(
        _l("Bank statement (CSV or XLSX)"),
        validators=[FileRequired()],
        render_kw={"accept": ".csv,.xlsx"},
    )
    submit = SubmitField(_l("Import and match"))


class ResolveForm(LifecycleForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Resolve"))


class ManualMatchForm(LifecycleForm):
    movement_id = SelectField(_l("Movement"), validate_choice=False)
    reason = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Match"))
