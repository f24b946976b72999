"""Forms of the custody pages: cases, registration, storage, transfers.

Names of the fields follow the service's parameters, so a service's field errors land on them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from custody.domain.enums import (
    AttachmentKind,
    ExternalKind,
    HolderSignature,
    ItemCategory,
    Measure,
    TransferKind,
)
from custody.domain.items import MAX_QUANTITY

from .common import (
    DATETIME_LOCAL,
    Finite,
    GetForm,
    MaxDecimals,
    enum_choices,
    money_validators,
    options,
)


class CaseSearchForm(GetForm):
    q = SearchField(
        _l("Search"),
        validators=[Optional(), Length(max=100)],
        render_kw={"placeholder": _l("Case number or title")},
    )
    stage = SelectField(_l("Stage"), validators=[Optional()])


class CaseForm(FlaskForm):
    origin = SelectField(_l("Origin of the case"), validators=[Optional()])
    police_case_no = StringField(
        _l("Case number"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "off"},
    )
    referring_body = StringField(
        _l("Referring supervisory commission"), validators=[Optional(), Length(max=200)]
    )
    title = StringField(_l("Case title"), validators=[DataRequired(), Length(max=200)])
    filed_on = DateField(_l("Date the case was opened (立案)"), validators=[Optional()])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Open case"))


class CaseMoveForm(FlaskForm):
    """A procedural move of the case file: 自侦 stage advance, supplementary inquiry, its return."""

    doc_no = StringField(_l("Document no."), validators=[Optional(), Length(max=64)])
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record"))


class MergeForm(FlaskForm):
    into_case_id = SelectField(_l("Merge this case into"), validators=[DataRequired()], coerce=int)
    doc_no = StringField(_l("Document no."), validators=[Optional(), Length(max=64)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Merge the cases"))


# Category-specific fields of the registration form: (category, key) → label. Amount keys are
# typed in yuan and stored in fen. Field names are ``d_<category>_<key>``.
DETAIL_LABELS: dict[str, str] = {
    "amount_fen": _l("Amount (yuan)"),
    "currency": _l("Currency"),
    "bank": _l("Bank"),
    "account_no": _l("Account number"),
    "account_name": _l("Account name"),
    "institution": _l("Institution"),
    "security_code": _l("Security code"),
    "units": _l("Units held"),
    "company": _l("Company"),
    "share": _l("Share held"),
    "insurer": _l("Insurer"),
    "policy_no": _l("Policy number"),
    "plate": _l("Licence plate"),
    "vin": _l("VIN"),
    "brand_model": _l("Brand and model"),
    "colour": _l("Colour"),
    "registry_no": _l("Registry number"),
    "hull_no": _l("Hull number"),
    "imei": _l("IMEI"),
    "imei2": _l("Second IMEI"),
    "phone_number": _l("Phone number"),
    "serial_no": _l("Serial number"),
    "address": _l("Address"),
    "title_no": _l("Title certificate number"),
    "registry": _l("Registry notified (登记机关)"),
    "registry_notice_no": _l("Registry notice no. (协助执行通知书)"),
    "registry_notice_date": _l("Registry notice date (YYYY-MM-DD)"),
    "weight_g": _l("Weight (g)"),
    "purity": _l("Purity"),
    "document_no": _l("Document number"),
    "platform": _l("Platform"),
    "account_id": _l("Account ID on the platform"),
    "wallet_address": _l("Wallet address"),
    "chain": _l("Chain / network"),
    "seal_no": _l("Seal number"),
    "denominations": _l("Denominations"),
}


MONEY_KEYS = frozenset({"amount_fen"})


SKIPPED_DETAIL_KEYS = frozenset({"denominations"})  # structured; entered through the API or import


def format_denomination_counts(value: Any) -> str:
    """Cash denominations ``{"10000": 1280, "5000": 3}`` (keys are fen) → "100 元 × 1280, 50 元 × 3",
    largest note first."""
    from flask_babel import gettext

    if not isinstance(value, dict):
        return "" if value is None else str(value)
    shown = []
    for key, count in sorted(value.items(), key=lambda kv: -int(kv[0]) if str(kv[0]).isdecimal() else 0):
        if str(key).isdecimal():
            amount = format((Decimal(int(key)) / 100).normalize(), "f")
            shown.append(gettext("%(amount)s yuan × %(count)s", amount=amount, count=count))
        else:
            shown.append(f"{key}: {count}")
    return ", ".join(shown)


def detail_field_name(category: str, key: str) -> str:
    return f"d_{category}_{key}"


def detail_fields() -> list[tuple[ItemCategory, list[tuple[str, bool]]]]:
    """(category, [(key, required), …]) for every category, in the form's order."""
    from custody.domain.items import CATEGORY_FIELDS

    return [
        (
            category,
            [(key, required) for key, (required, _check) in spec.items() if key not in SKIPPED_DETAIL_KEYS],
        )
        for category, spec in CATEGORY_FIELDS.items()
    ]


class ItemForm(FlaskForm):
    # The seizure list: an existing one of the case, or a new one from the fields below.
    seizure_list_id = SelectField(_l("Seizure list"), coerce=int, validators=[Optional()], default=0)
    seized_at = DateTimeLocalField(_l("Seized at"), format=DATETIME_LOCAL, validators=[Optional()])
    seized_place = StringField(_l("Place of seizure"), validators=[Optional(), Length(max=200)])
    holder_name = StringField(_l("Holder"), validators=[Optional(), Length(max=64)])
    holder_id_no = StringField(_l("Holder's ID number"), validators=[Optional(), Length(max=32)])
    holder_contact = StringField(_l("Holder's contact"), validators=[Optional(), Length(max=64)])
    # No default (issue 18): whether the holder signed is said, not assumed; asked for a new list only.
    holder_signature = SelectField(
        _l("Holder's signature"), choices=enum_choices(HolderSignature, blank=_l("— choose —")), default=""
    )
    holder_signature_note = StringField(
        _l("Why the holder did not sign"), validators=[Optional(), Length(max=200)]
    )
    witness = StringField(_l("Witness"), validators=[Optional(), Length(max=200)])
    witness_note = StringField(
        _l("No qualified witness: why (the seizure was filmed)"), validators=[Optional(), Length(max=200)]
    )
    second_officer = StringField(_l("Second officer"), validators=[Optional(), Length(max=64)])
    # The item.
    name = StringField(_l("Item name"), validators=[DataRequired(), Length(max=200)])
    # No category chosen at first (issue 18): a registrar who skips it is asked, not recorded as cash.
    category = SelectField(
        _l("Category"),
        choices=enum_choices(ItemCategory, blank=_l("— choose —")),
        default="",
        validators=[DataRequired()],
    )
    quantity = DecimalField(
        _l("Quantity"),
        places=None,
        validators=[DataRequired(), Finite(), MaxDecimals(3), NumberRange(max=MAX_QUANTITY)],
        default=1,
        render_kw={"inputmode": "decimal"},
    )
    unit = StringField(
        _l("Unit"),
        validators=[DataRequired(), Length(max=16)],
        render_kw={"placeholder": _l("e.g. 部, 件, 辆")},
    )
    measure = SelectField(_l("Measure"), choices=enum_choices(Measure), default=Measure.SEIZED.value)
    measure_doc_no = StringField(_l("Decision document number"), validators=[Optional(), Length(max=64)])
    measure_date = DateField(_l("Date of the measure"), validators=[Optional()])
    features = TextAreaField(_l("Features (特征)"), validators=[Optional(), Length(max=2000)])
    specification = StringField(_l("Model / specification"), validators=[Optional(), Length(max=200)])
    condition_at_seizure = StringField(_l("Condition at seizure"), validators=[Optional(), Length(max=500)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=200)])
    estimated_value = DecimalField(
        _l("Estimated value (yuan)"),
        places=None,
        validators=money_validators(),
        render_kw={"inputmode": "decimal"},
    )
    is_perishable = BooleanField(_l("Perishable or fast-depreciating"))
    owner_name = StringField(_l("Owner"), validators=[Optional(), Length(max=64)])
    owner_id_no = StringField(_l("Owner's ID number"), validators=[Optional(), Length(max=32)])
    owner_contact = StringField(_l("Owner's contact"), validators=[Optional(), Length(max=64)])
    ownership_clear = BooleanField(_l("Ownership clear and undisputed"))
    external_kind = SelectField(
        _l("Kept outside the centre"),
        choices=enum_choices(ExternalKind, blank=_l("No — it comes to the centre")),
        default="",
    )
    external_place = StringField(_l("Where it is kept"), validators=[Optional(), Length(max=200)])
    external_contact = StringField(_l("Contact there"), validators=[Optional(), Length(max=100)])
    photo = FileField(_l("Photo"), render_kw={"accept": "image/jpeg,image/png"})
    submit = SubmitField(_l("Register item"))
    submit_another = SubmitField(_l("Register and add another"))

    def validate_holder_signature(self, field: SelectField) -> None:
        if not self.seizure_list_id.data and not field.data:
            raise ValidationError(_l("Say whether the holder signed the new seizure list."))


def _add_detail_fields() -> None:
    for category, keys in detail_fields():
        for key, _required in keys:
            label = DETAIL_LABELS.get(key, key)
            if key in MONEY_KEYS:
                field = DecimalField(
                    label, places=None, validators=money_validators(), render_kw={"inputmode": "decimal"}
                )
            else:
                field = StringField(label, validators=[Optional(), Length(max=200)])
            setattr(ItemForm, detail_field_name(category.value, key), field)


_add_detail_fields()


class PhotoForm(FlaskForm):
    file = FileField(
        _l("File"), validators=[FileRequired()], render_kw={"accept": "image/jpeg,image/png,application/pdf"}
    )
    kind = SelectField(_l("Kind"), choices=enum_choices(AttachmentKind), default=AttachmentKind.PHOTO.value)
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Upload"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("Filled-in template (CSV or XLSX)"),
        validators=[FileRequired()],
        render_kw={"accept": ".csv,.xlsx"},
    )
    seizure_list_id = SelectField(_l("Seizure list"), coerce=int, validators=[Optional()], default=0)
    seized_at = DateTimeLocalField(_l("Seized at"), format=DATETIME_LOCAL, validators=[Optional()])
    seized_place = StringField(_l("Place of seizure"), validators=[Optional(), Length(max=200)])
    holder_name = StringField(_l("Holder"), validators=[Optional(), Length(max=64)])
    holder_id_no = StringField(_l("Holder's ID number"), validators=[Optional(), Length(max=32)])
    witness = StringField(_l("Witness"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Import"))


class ItemSearchForm(GetForm):
    q = SearchField(
        _l("Search"),
        validators=[Optional(), Length(max=100)],
        render_kw={"placeholder": _l("Name, label code or features")},
    )
    case_id = SelectField(_l("Case"), validators=[Optional()])
    custodian = SelectField(_l("Custodian"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    location_id = SelectField(_l("Storage location"), validators=[Optional()])
    seized_from = DateField(_l("Seized from"), validators=[Optional()])
    seized_to = DateField(_l("Seized until"), validators=[Optional()])
    flagged = BooleanField(_l("Rejected in a transfer (flagged)"))
    overdue = BooleanField(_l("Overdue check-out"))
    sort = SelectField(
        _l("Sort by"),
        choices=options(
            [
                ("-id", _l("Newest first")),
                ("id", _l("Oldest first")),
                ("-seized_at", _l("Seized, latest first")),
                ("seized_at", _l("Seized, earliest first")),
                ("label_code", _l("Label code")),
                ("name", _l("Name")),
                ("-value", _l("Value, highest first")),
            ]
        ),
        default="-id",
    )


class BackdateMixin:
    """When it happened, if earlier than now: back-dating needs a reason [DESIGN §2]."""

    occurred_at = DateTimeLocalField(
        _l("When it happened (if earlier than now)"), format=DATETIME_LOCAL, validators=[Optional()]
    )
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


# A long list of locations: pages.js adds a filter box (by code or any part of the path) [DESIGN].
SEARCHABLE = {"data-searchable": "", "data-filter-label": _l("Filter by code or name")}


class CheckInForm(BackdateMixin, FlaskForm):
    location_id = SelectField(
        _l("Storage location"), coerce=int, validators=[DataRequired()], render_kw=SEARCHABLE
    )
    condition = StringField(
        _l("Condition on receipt"),
        validators=[Optional(), Length(max=500)],
        render_kw={"placeholder": _l("e.g. sealed bag intact")},
    )
    handed_over_by = StringField(
        _l("Handed over by (移交人)"),
        validators=[Optional(), Length(max=64)],
        render_kw={"placeholder": _l("the officer who brings the items"), "autocomplete": "off"},
    )
    late_reason = StringField(
        _l("Why after the 24 hours"),
        validators=[Optional(), Length(max=400)],
        render_kw={"placeholder": _l("e.g. seized at night far from the centre"), "autocomplete": "off"},
    )
    codes_text = TextAreaField(
        _l("Label codes, one per line"),
        validators=[Optional(), Length(max=200_000)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "rows": 4},
    )
    submit = SubmitField(_l("Check in all"))


class BringInForm(BackdateMixin, FlaskForm):
    """Bring an item kept outside the centre in: a deliberate step with a reason (no batch does it)."""

    location_id = SelectField(
        _l("Storage location"), coerce=int, validators=[DataRequired()], render_kw=SEARCHABLE
    )
    why = StringField(
        _l("Why it is brought into the centre"),
        validators=[DataRequired(), Length(max=400)],
        render_kw={"placeholder": _l("e.g. the impound lot's contract has ended")},
    )
    condition = StringField(_l("Condition on receipt"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Bring into the centre"))


class MoveForm(BackdateMixin, FlaskForm):
    location_id = SelectField(
        _l("New storage location"), coerce=int, validators=[DataRequired()], render_kw=SEARCHABLE
    )
    submit = SubmitField(_l("Move"))


class MoveBatchForm(BackdateMixin, FlaskForm):
    location_id = SelectField(
        _l("New storage location"), coerce=int, validators=[DataRequired()], render_kw=SEARCHABLE
    )
    codes_text = TextAreaField(
        _l("Label codes, one per line"),
        validators=[Optional(), Length(max=200_000)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "rows": 4},
    )
    submit = SubmitField(_l("Move all"))


class ExternalForm(BackdateMixin, FlaskForm):
    kind = SelectField(_l("Kept where"), choices=enum_choices(ExternalKind))
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Record"))


class ConditionForm(BackdateMixin, FlaskForm):
    condition = TextAreaField(_l("Condition"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Record condition"))


class TransferForm(FlaskForm):
    kind = SelectField(_l("Kind of transfer"), choices=enum_choices(TransferKind))
    to_agency_id = SelectField(_l("Receiving agency"), coerce=int, validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send transfer"))


class SignForm(FlaskForm):
    case_no = StringField(_l("Your agency's case number"), validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Record decisions"))


class RecallForm(FlaskForm):
    reason = StringField(_l("Reason for recalling"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Recall transfer"))
