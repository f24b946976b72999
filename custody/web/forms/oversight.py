"""Forms of the oversight pages: shape checks only (the services apply the rules)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from custody.domain.judgment_orders import OrderKind
from custody.domain.milestones import NoticeBasis
from custody.domain.spot_checks import MAX_SAMPLE

from ..lifecycle_forms import YuanField
from .common import GetForm, MultiCheckboxField


class AlertFilterForm(GetForm):
    rule = SelectField(_l("Rule"), validators=[Optional()])
    overdue = SelectField(_l("State"), validators=[Optional()])


class StocktakeStartForm(FlaskForm):
    location_id = SelectField(
        _l("Location to count (with everything under it)"), coerce=int, validators=[DataRequired()]
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Start stocktake"))


def optional_int(value: Any) -> int | None:
    """A select's value as an id, None when blank (the coercion of optional choices)."""
    return int(value) if value not in (None, "") and str(value).isdecimal() else None


class ScanForm(FlaskForm):
    label_code = StringField(
        _l("Label code"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    location_id = SelectField(
        _l("Counting at"), coerce=optional_int, validators=[Optional()], validate_choice=False
    )
    submit = SubmitField(_l("Record scan"))


class FinishForm(FlaskForm):
    submit = SubmitField(_l("Finish stocktake"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Submit"))


class SpotCheckForm(FlaskForm):
    size = IntegerField(
        _l("Number of items to draw"), validators=[DataRequired(), NumberRange(1, MAX_SAMPLE)], default=10
    )
    custodian_agency_id = SelectField(_l("Custodian agency"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    location_id = SelectField(_l("Storage location (with everything under it)"), validators=[Optional()])
    case_no = StringField(
        _l("Case number"),
        validators=[Optional(), Length(max=64)],
        render_kw={"list": "case-numbers", "autocomplete": "off"},
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Draw at random"))


class ResultForm(FlaskForm):
    item_id = IntegerField(validators=[DataRequired()], widget=widgets.HiddenInput())
    result = SelectField(_l("Result"), validators=[DataRequired()])
    finding = TextAreaField(_l("Finding"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Record result"))


class LedgerForm(GetForm):
    scope = SelectField(
        _l("Ledger"),
        choices=[SelectChoice("centre", _l("Centre ledger")), SelectChoice("agency", _l("Agency ledger"))],
        default="centre",
    )
    agency_id = SelectField(_l("Agency"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    seized_from = DateField(_l("Seized from"), validators=[Optional()])
    seized_to = DateField(_l("Seized to"), validators=[Optional()])
    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])


class OwnerLookupForm(FlaskForm):
    list_no = StringField(
        _l("Seizure list number (or victim lookup number)"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "off", "placeholder": "QD-PDGA-2026-000001"},
    )
    code = StringField(
        _l("Lookup code"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    submit = SubmitField(_l("Look up"))


class JudgmentForm(FlaskForm):
    judgment_no = StringField(_l("Judgment number"), validators=[DataRequired(), Length(max=64)])
    effective_on = DateField(_l("Date the judgment took effect"), validators=[DataRequired()])
    submit = SubmitField(_l("Record judgment"))


class CloseCaseForm(FlaskForm):
    legal_basis = StringField(_l("Decision number"), validators=[DataRequired(), Length(max=100)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Close the case"))


class UnrelatedForm(FlaskForm):
    item_id = SelectField(_l("Item"), coerce=int, validators=[DataRequired()])
    found_on = DateField(_l("Found unrelated on"), validators=[DataRequired()])
    decision_doc_no = StringField(_l("Decision number"), validators=[Optional(), Length(max=64)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Record finding"))


class NoticeForm(FlaskForm):
    item_ids = MultiCheckboxField(_l("Items"), coerce=int, validators=[DataRequired()])
    published_on = DateField(_l("Published on"), validators=[DataRequired()])
    medium = StringField(_l("Published where"), validators=[DataRequired(), Length(max=200)])
    basis = SelectField(
        _l("Why the owner is sought"),
        choices=[SelectChoice(b.value, _l(b.label)) for b in NoticeBasis],
        default=NoticeBasis.UNRELATED.value,
    )
    content = TextAreaField(_l("Text of the notice"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Record public notice"))


class ExecutionForm(FlaskForm):
    """移送执行 / 执行立案 / 延长 (2014规定 art. 3, 7)."""

    referred_on = DateField(_l("Referred for execution on"), validators=[Optional()])
    execution_case_no = StringField(_l("Execution case no."), validators=[Optional(), Length(max=64)])
    opened_on = DateField(_l("Execution case opened on"), validators=[Optional()])
    extended_until = DateField(_l("Extended until (last day)"), validators=[Optional()])
    extension_approval = StringField(
        _l("President's approval of the extension"), validators=[Optional(), Length(max=100)]
    )
    submit = SubmitField(_l("Record"))


class ServiceForm(FlaskForm):
    """送达: the judgment served on a holder (agency or bank), 2021解释 art. 447, 448."""

    holder_agency_id = SelectField(_l("Agency holding items"), validators=[Optional()], coerce=optional_int)
    institution = StringField(
        _l("Or the bank holding frozen funds"), validators=[Optional(), Length(max=200)]
    )
    served_on = DateField(_l("Served on"), validators=[Optional()])
    submit = SubmitField(_l("Record the service"))


class ReceiptForm(FlaskForm):
    service_id = SelectField(_l("Service"), validators=[DataRequired()], coerce=int)
    receipt_no = StringField(_l("Execution receipt no."), validators=[DataRequired(), Length(max=64)])
    received_on = DateField(_l("Received on"), validators=[Optional()])
    submit = SubmitField(_l("Record the receipt"))


class OrderForm(FlaskForm):
    """One line of the judgment's orders on the case's property (2021解释 art. 444–448)."""

    kind = SelectField(
        _l("What the judgment orders"),
        choices=[SelectChoice(k.value, _l(k.label)) for k in OrderKind],
        validators=[DataRequired()],
    )
    item_id = SelectField(_l("Item"), coerce=optional_int, validators=[Optional()], validate_choice=False)
    amount = YuanField(_l("Or an amount of the case money (yuan)"), validators=[Optional()])
    victim_id = SelectField(
        _l("Victim (payment)"), coerce=optional_int, validators=[Optional()], validate_choice=False
    )
    recipient = StringField(_l("Recipient (return)"), validators=[Optional(), Length(max=100)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add the order"))


class ProposeOrdersForm(FlaskForm):
    submit = SubmitField(_l("Propose disposals from the judgment"))


class OrderReceiptForm(FlaskForm):
    order_id = SelectField(_l("Order"), validators=[DataRequired()], coerce=int)
    receipt_no = StringField(_l("Execution receipt no."), validators=[DataRequired(), Length(max=64)])
    received_on = DateField(_l("Received on"), validators=[Optional()])
    submit = SubmitField(_l("Acknowledge the receipt"))


# The service's names of an order line's fields → this page's form fields.
ORDER_FIELDS = {
    "lines.0.item_id": "item_id",
    "lines.0.amount_fen": "amount",
    "lines.0.victim_id": "victim_id",
    "lines.0.recipient": "recipient",
    "lines.0.note": "note",
}
