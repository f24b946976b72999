"""Forms of the check-out, disposal, freeze and correction pages (shape only; the shared fields and
the list filters are in ``web/lifecycle_forms``)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from custody.domain.enums import DispositionKind, ItemCategory
from custody.domain.items import CATEGORY_FIELDS
from custody.domain.lifecycle import (
    ApprovalLevel,
    CounterpartyKind,
    Discrepancy,
    DisposalGround,
    FreezeAssetType,
    RecipientRelation,
    WitnessKind,
)
from custody.services.corrections import TEXT_LIMITS

from ..forms import MultiCheckboxField, options
from ..lifecycle_forms import (
    DenominationsField,
    FilterForm,
    LifecycleForm,
    LocalDateTimeField,
    YuanField,
    choose,
    purpose_choices,
)

# -- check-outs -------------------------------------------------------------------------------


class CheckoutRequestForm(LifecycleForm):
    purpose = SelectField(_l("Purpose"), validators=[DataRequired()])
    counterparty_kind = SelectField(
        _l("Taken by (kind)"),
        default=CounterpartyKind.PERSON.value,
        choices=options((k.value, _l(k.label)) for k in CounterpartyKind),
    )
    counterparty_name = StringField(
        _l("Name of the person taking the items"), validators=[DataRequired(), Length(max=100)]
    )
    counterparty_organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    counterparty_contact = StringField(_l("Contact"), validators=[Optional(), Length(max=100)])
    due_at = LocalDateTimeField(_l("Due back by"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Submit the request"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.purpose.choices = purpose_choices()


class DecisionForm(LifecycleForm):
    reason = TextAreaField(
        _l("Reason (required to reject)"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Do not approve"))


class DisposalDecisionForm(DecisionForm):
    confirm = PasswordField(
        _l("Your authenticator code (or password)"),
        validators=[Optional(), Length(max=256)],
        render_kw={"autocomplete": "one-time-code"},
    )


class CancelForm(LifecycleForm):
    reason = StringField(_l("Reason for withdrawing"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Withdraw"))


def confirmed_items_field() -> MultiCheckboxField:
    """Each item of a release, return or execution confirmed in hand: ticked, or ticked by scanning its
    label (static/js/pages.js). Rendered by the page as one card per item; the service checks it."""
    return MultiCheckboxField(
        _l("Items confirmed in hand"), coerce=int, validators=[Optional()], validate_choice=False
    )


class ReleaseForm(LifecycleForm):
    released_to = StringField(_l("Handed to (name)"), validators=[DataRequired(), Length(max=100)])
    confirmed_item_ids = confirmed_items_field()
    submit = SubmitField(_l("Release the items"))


def discrepancy_choices() -> list[Any]:
    return options([("", _l("None: as released")), *((d.value, _l(d.label)) for d in Discrepancy)])


class ReturnForm(LifecycleForm):
    item_ids = MultiCheckboxField(_l("Items returned"), coerce=int, validators=[DataRequired()])
    confirmed_item_ids = confirmed_items_field()
    condition = StringField(_l("Condition on return"), validators=[DataRequired(), Length(max=500)])
    discrepancy = SelectField(_l("Discrepancy"))
    discrepancy_note = TextAreaField(
        _l("What differs"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    submit = SubmitField(_l("Record the return"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.discrepancy.choices = discrepancy_choices()


class ExtensionRequestForm(LifecycleForm):
    due_at = LocalDateTimeField(_l("New due time"), validators=[InputRequired()])
    reason = TextAreaField(
        _l("Reason for the extension"), validators=[DataRequired(), Length(max=500)], render_kw={"rows": 2}
    )
    submit = SubmitField(_l("Request the extension"))


class ExtensionDecisionForm(LifecycleForm):
    reason = TextAreaField(
        _l("Reason (required to reject)"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    approve = SubmitField(_l("Approve the extension"))
    reject = SubmitField(_l("Reject the extension"))


# -- dispositions -----------------------------------------------------------------------------

DISPOSITION_KIND_ORDER = (
    DispositionKind.EARLY_SALE,
    DispositionKind.PRETRIAL_RETURN,
    DispositionKind.RETURN_TO_OWNER,
    DispositionKind.CONFISCATE,
    DispositionKind.DESTROY,
    DispositionKind.HAND_OVER,
)


class DispositionForm(LifecycleForm):
    kind = SelectField(_l("Kind of disposal"), validators=[DataRequired()])
    legal_basis = StringField(
        _l("Legal basis (judgment or decision no.)"), validators=[Optional(), Length(max=200)]
    )
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    owner_consent = StringField(_l("Owner's consent"), validators=[Optional(), Length(max=200)])
    ground = SelectField(_l("Ground (final disposal)"), validators=[Optional()])
    notice_ref = StringField(
        _l("How the owner was notified (no. or means)"), validators=[Optional(), Length(max=200)]
    )
    submit = SubmitField(_l("Propose the disposal"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = options(
            [choose(_l("— choose the kind —")), *((k.value, _l(k.label)) for k in DISPOSITION_KIND_ORDER)]
        )
        self.ground.choices = options([(g.value, _l(g.label)) for g in DisposalGround])


class ExecuteForm(LifecycleForm):
    """执行. The page shows the fields the kind needs; the view passes only those on."""

    receipt_no = StringField(_l("Execution receipt no."), validators=[DataRequired(), Length(max=64)])
    confirmed_item_ids = confirmed_items_field()
    # The eligible witnesses (services.dispositions.eligible_witnesses), by username — what the
    # service (and the API) takes. The service, not the list, decides: a stale or forged choice is
    # refused there with its reason next to this field.
    witness_kind = SelectField(_l("Kind of witness"), validators=[Optional()])
    witness = SelectField(_l("Witness"), validators=[Optional()], validate_choice=False)
    witness_password = PasswordField(
        _l("Witness's own password"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    witness_name = StringField(_l("External witness's name"), validators=[Optional(), Length(max=100)])
    witness_id_no = StringField(
        _l("External witness's ID number"),
        validators=[Optional(), Length(max=32)],
        render_kw={"autocomplete": "off"},
    )
    witness_organisation = StringField(
        _l("External witness's organisation"), validators=[Optional(), Length(max=200)]
    )
    proceeds = YuanField(
        _l("Sale proceeds (yuan)"),
        validators=[Optional()],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    auction_ref = StringField(_l("Auction lot reference"), validators=[Optional(), Length(max=64)])
    buyer = StringField(_l("Buyer (买受人)"), validators=[Optional(), Length(max=200)])
    recipient_name = StringField(_l("Recipient's name"), validators=[Optional(), Length(max=100)])
    recipient_id_no = StringField(
        _l("Recipient's ID number"),
        validators=[Optional(), Length(max=32)],
        render_kw={"autocomplete": "off"},
    )
    recipient_is_agent = BooleanField(_l("The recipient is an agent of the owner"))
    recipient_relation = SelectField(_l("The recipient is"), validators=[Optional()])
    recipient_organisation = StringField(
        _l("Owner organisation (when an organisation collects)"), validators=[Optional(), Length(max=200)]
    )
    authorisation_ref = StringField(
        _l("Written authorisation (no. or reference)"), validators=[Optional(), Length(max=100)]
    )
    submit = SubmitField(_l("Record the execution"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.witness_kind.choices = options([(k.value, _l(k.label)) for k in WitnessKind])
        self.recipient_relation.choices = options([(r.value, _l(r.label)) for r in RecipientRelation])


class RefundForm(LifecycleForm):
    """退库: confiscated unclaimed property refunded to an owner who came forward later."""

    doc_no = StringField(_l("Refund document no."), validators=[DataRequired(), Length(max=64)])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record the refund"))


# -- freezes ----------------------------------------------------------------------------------


class FreezeForm(LifecycleForm):
    asset_type = SelectField(_l("Asset type"), validators=[DataRequired()])
    institution = StringField(
        _l("Institution (bank, broker, registry)"), validators=[DataRequired(), Length(max=100)]
    )
    account_no = StringField(
        _l("Account no."), validators=[DataRequired(), Length(max=40)], render_kw={"autocomplete": "off"}
    )
    account_name = StringField(_l("Account name"), validators=[Optional(), Length(max=64)])
    amount = YuanField(
        _l("Amount frozen (yuan)"),
        validators=[InputRequired()],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    start_on = DateField(_l("Start date"), validators=[InputRequired()])
    period_months = IntegerField(
        _l("Period (months)"),
        validators=[Optional(), NumberRange(min=1, message=_l("At least %(min)s."))],
        render_kw={"inputmode": "numeric"},
    )
    major_case = BooleanField(_l("Major case"))
    major_case_approval = StringField(
        _l("Approval of the one-year period (major case)"), validators=[Optional(), Length(max=100)]
    )
    notice_doc_no = StringField(_l("Freeze notice no."), validators=[DataRequired(), Length(max=64)])
    receipt_end_on = DateField(_l("End date on the institution's receipt"), validators=[Optional()])
    approved_by = StringField(
        _l("Approved by (head or approval document)"), validators=[Optional(), Length(max=100)]
    )
    approval_level = SelectField(_l("Level of the approving head"), validators=[Optional()])
    listed_company = BooleanField(_l("Equity of a listed company"))
    covers_fruits = BooleanField(_l("The freeze covers interest and other fruits (孳息)"))
    scope = StringField(_l("Scope of the freeze"), validators=[Optional(), Length(max=200)])
    queued = BooleanField(_l("Queued behind an existing freeze (轮候冻结)"))
    submit = SubmitField(_l("Record the freeze"))

    def set_asset_types(self, types: list[FreezeAssetType]) -> None:
        self.asset_type.choices = options(
            [choose(_l("— choose the asset type —")), *((t.value, _l(t.label)) for t in types)]
        )
        self.approval_level.choices = options(
            [choose(_l("— not stated —")), *((level.value, _l(level.label)) for level in ApprovalLevel)]
        )


class RenewForm(LifecycleForm):
    doc_no = StringField(_l("Renewal notice no."), validators=[DataRequired(), Length(max=64)])
    period_months = IntegerField(
        _l("Period (months)"),
        validators=[Optional(), NumberRange(min=1, message=_l("At least %(min)s."))],
        render_kw={"inputmode": "numeric"},
    )
    receipt_end_on = DateField(_l("End date on the institution's receipt"), validators=[Optional()])
    submit = SubmitField(_l("Renew the freeze"))


class ActivateForm(LifecycleForm):
    """A queued freeze takes effect (the institution's notice says from when)."""

    start_on = DateField(_l("In effect from"), validators=[InputRequired()])
    receipt_end_on = DateField(_l("End date on the institution's receipt"), validators=[Optional()])
    doc_no = StringField(_l("Institution's notice no."), validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("The queued freeze takes effect"))


class FreezeReleaseForm(LifecycleForm):
    doc_no = StringField(_l("Release notice no."), validators=[DataRequired(), Length(max=64)])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Release the freeze"))


# -- corrections ------------------------------------------------------------------------------

# Chinese-first names of the correctable fields (English msgids).
FIELD_LABELS: dict[str, Any] = {
    "name": _l("Name"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "features": _l("Features"),
    "specification": _l("Model / specification"),
    "condition_at_seizure": _l("Condition at seizure"),
    "source": _l("Source"),
    "estimated_value_fen": _l("Estimated value"),
    "owner_name": _l("Owner's name"),
    "owner_id_no": _l("Owner's ID number"),
    "owner_contact": _l("Owner's contact"),
    "ownership_clear": _l("Ownership clear and undisputed"),
    "is_perishable": _l("Perishable or fast-depreciating"),
    "measure_doc_no": _l("Measure document no."),
    "measure_date": _l("Measure date"),
    "details": _l("Category details"),
}

DETAIL_LABELS: dict[str, Any] = {
    "amount_fen": _l("Amount (yuan)"),
    "currency": _l("Currency"),
    "denominations": _l("Denominations"),
    "bank": _l("Bank"),
    "account_no": _l("Account no."),
    "account_name": _l("Account name"),
    "institution": _l("Institution"),
    "security_code": _l("Security code"),
    "units": _l("Units held"),
    "company": _l("Company"),
    "share": _l("Share"),
    "insurer": _l("Insurer"),
    "policy_no": _l("Policy no."),
    "plate": _l("Licence plate"),
    "vin": _l("VIN"),
    "brand_model": _l("Brand and model"),
    "colour": _l("Colour"),
    "registry_no": _l("Registry no."),
    "hull_no": _l("Hull no."),
    "imei": _l("IMEI"),
    "imei2": _l("Second IMEI"),
    "phone_number": _l("Phone number"),
    "serial_no": _l("Serial no."),
    "address": _l("Address"),
    "title_no": _l("Title certificate no."),
    "weight_g": _l("Weight (g)"),
    "purity": _l("Purity"),
    "document_no": _l("Document no."),
    "platform": _l("Platform"),
    "account_id": _l("Account ID on the platform"),
    "wallet_address": _l("Wallet address"),
    "chain": _l("Chain / network"),
    "seal_no": _l("Seal no."),
}

# The service's limits (one rule); a quantity is typed as text of at most 32 characters.
TEXT_FIELD_LIMITS = {**TEXT_LIMITS, "quantity": 32}


class FieldChoiceForm(FilterForm):
    field = SelectField(_l("Field to correct"), validators=[DataRequired()])
    submit = SubmitField(_l("Next"))


def _yes_no() -> list[Any]:
    return options([("", _l("— choose —")), ("yes", _l("Yes")), ("no", _l("No"))])


def correction_form_class(field: str, category: ItemCategory) -> type[LifecycleForm]:
    """A form with the right input for ``field``: text, an amount in 元, yes/no, a date, or one
    input per category detail (``details_<key>``)."""

    attrs: dict[str, Any] = {
        "reason": TextAreaField(
            _l("Reason for the correction"),
            validators=[DataRequired(), Length(max=500)],
            render_kw={"rows": 2},
        ),
        "submit": SubmitField(_l("Propose the correction")),
    }
    label = _l("New value")
    if field == "estimated_value_fen":
        attrs["new_value"] = YuanField(
            _l("New value (yuan)"),
            validators=[Optional()],
            render_kw={"inputmode": "decimal", "autocomplete": "off"},
        )
    elif field in ("ownership_clear", "is_perishable"):
        attrs["new_value"] = SelectField(label, choices=_yes_no(), validators=[DataRequired()])
    elif field == "measure_date":
        attrs["new_value"] = DateField(label, validators=[InputRequired()])
    elif field == "features":
        attrs["new_value"] = TextAreaField(
            label, validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
        )
    elif field == "details":
        for key in CATEGORY_FIELDS[category]:
            name = f"details_{key}"
            if key.endswith("_fen"):
                attrs[name] = YuanField(
                    DETAIL_LABELS.get(key, key),
                    validators=[Optional()],
                    render_kw={"inputmode": "decimal", "autocomplete": "off"},
                )
            elif key == "denominations":
                attrs[name] = DenominationsField(DETAIL_LABELS[key], validators=[Optional()])
            else:
                attrs[name] = StringField(
                    DETAIL_LABELS.get(key, key), validators=[Optional(), Length(max=200)]
                )
    else:
        required = [DataRequired()] if field in ("name", "unit", "quantity") else [Optional()]
        attrs["new_value"] = StringField(
            label, validators=[*required, Length(max=TEXT_FIELD_LIMITS.get(field, 200))]
        )
    return type(f"CorrectionForm_{field}", (LifecycleForm,), attrs)
