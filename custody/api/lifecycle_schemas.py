"""Schemas for check-outs, disposals, freezes, corrections and bulk import (shape only)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from custody.domain.clock import local_date
from custody.domain.enums import DispositionKind
from custody.domain.i18n import N_
from custody.domain.lifecycle import (
    CORRECTABLE_FIELDS,
    ApprovalLevel,
    CheckoutPurpose,
    CheckoutStatus,
    CorrectionStatus,
    CounterpartyKind,
    Discrepancy,
    DisposalGround,
    DispositionRecordStatus,
    ExtensionStatus,
    FreezeAssetType,
    FreezeStatus,
    RecipientRelation,
    WitnessKind,
    freeze_status_on,
    is_overdue,
)
from custody.domain.money import LotSplit
from custody.domain.personal_data import shown
from custody.orm import utcnow
from custody.services import checkouts, corrections, dispositions, freezes

from .common import AgencyRefSchema, AwareDateTime, Date, FilePart, Int, Schema
from .schemas import PERSONAL_DOC, PageQuerySchema, _enum, _full_personal, _item_full_personal


def _actions(record_actions: Any, names: tuple[str, ...]) -> ma.fields.Function:
    """What the requesting user may do to the record now, asked of the service (the same answer the
    pages show their forms by): each name is the record's action endpoint."""

    def dump(record: Any) -> list[str]:
        from custody.access import current_actor

        return list(record_actions(current_actor(), record))

    return ma.fields.Function(
        dump,
        metadata={
            "type": "array",
            "items": {"type": "string", "enum": list(names)},
            "description": "The actions you may take on this record now (each is the path of its endpoint, "
            "an extension's decision as approve_extension / reject_extension).",
        },
    )


ITEM_IDS = ma.fields.List(Int(strict=True), required=True, validate=ma.validate.Length(min=1, max=5000))


class CounterpartyInputSchema(Schema):
    name = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=100))
    kind = _enum(CounterpartyKind, load_default=CounterpartyKind.PERSON)
    organisation = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    id_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=32))
    contact = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))


class NameOrObject(ma.fields.Field):
    """Accepts a plain string (put under ``key``), or an object with the nested schema's fields."""

    def __init__(self, nested: type[Schema], key: str = "name", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nested = nested
        self.key = key

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            value = {self.key: value}
        if not isinstance(value, dict):
            raise ma.ValidationError(N_("A name, or an object."))
        return self.nested().load(value)


class CounterpartySchema(Schema):
    id = Int()
    kind = _enum(CounterpartyKind)
    name = ma.fields.Str()
    organisation = ma.fields.Str(allow_none=True)
    contact = ma.fields.Str(allow_none=True)


# -- check-outs -------------------------------------------------------------------------------


class CheckoutCreateSchema(Schema):
    item_ids = ITEM_IDS
    purpose = _enum(CheckoutPurpose, required=True)
    counterparty = NameOrObject(
        CounterpartyInputSchema,
        required=True,
        metadata={
            "description": "a name, or {name, kind: person|lab|court|bank|authority|other, organisation, id_no, contact}"
        },
    )
    due_at = AwareDateTime(required=True)
    note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class ReasonSchema(Schema):
    reason = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class RequiredReasonSchema(Schema):
    reason = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=500))


class ReleaseSchema(Schema):
    released_to = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=100),
        metadata={"description": "the person taking the items; default the counterparty"},
    )
    confirmed_item_ids = ma.fields.List(
        Int(strict=True),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the items the keeper confirmed in hand (scanned or ticked): when sent, every "
            "item of the step must be in it (422 items.unconfirmed, unconfirmed_item_ids); omitted, "
            "not checked item by item"
        },
    )


class DiscrepancyInputSchema(Schema):
    kind = _enum(Discrepancy, required=True)
    note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class ReturnSchema(Schema):
    condition = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=500))
    confirmed_item_ids = ma.fields.List(
        Int(strict=True),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the items the keeper confirmed in hand (scanned or ticked): when sent, every "
            "item of the step must be in it (422 items.unconfirmed, unconfirmed_item_ids); omitted, "
            "not checked item by item"
        },
    )
    item_ids = ma.fields.List(
        Int(strict=True),
        load_default=None,
        allow_none=True,
        metadata={"description": "default: every item still out"},
    )
    discrepancy = NameOrObject(
        DiscrepancyInputSchema,
        key="kind",
        load_default=None,
        allow_none=True,
        metadata={"description": "damage | shortage | substitution, or {kind, note}"},
    )
    discrepancy_note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class ExtendSchema(Schema):
    due_at = AwareDateTime(required=True)
    reason = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=500))


class CheckoutQuerySchema(PageQuerySchema):
    status = _enum(CheckoutStatus)
    overdue = ma.fields.Bool()
    case_id = Int()
    item_id = Int()


class CheckoutLineSchema(Schema):
    item_id = Int()
    label_code = ma.fields.Function(lambda line: line.item.label_code)
    item_name = ma.fields.Function(lambda line: line.item.name)
    returned_at = AwareDateTime(allow_none=True)
    return_condition = ma.fields.Str(allow_none=True)
    discrepancy = _enum(Discrepancy, allow_none=True)
    discrepancy_note = ma.fields.Str(allow_none=True)


class ExtensionSchema(Schema):
    id = Int()
    previous_due_at = AwareDateTime()
    requested_due_at = AwareDateTime()
    reason = ma.fields.Str()
    status = _enum(ExtensionStatus)
    decided_at = AwareDateTime(allow_none=True)
    decision_reason = ma.fields.Str(allow_none=True)


class CheckoutSchema(Schema):
    id = Int()
    checkout_no = ma.fields.Str()
    case_id = Int()
    custodian_agency = ma.fields.Nested(AgencyRefSchema)
    purpose = _enum(CheckoutPurpose)
    counterparty = ma.fields.Nested(CounterpartySchema)
    due_at = AwareDateTime()
    overdue = ma.fields.Function(lambda c: is_overdue(c.status, c.due_at, utcnow()))
    status = _enum(CheckoutStatus)
    note = ma.fields.Str(allow_none=True)
    requested_by_id = Int()
    requested_at = AwareDateTime()
    approved_by_id = Int(allow_none=True)
    approved_at = AwareDateTime(allow_none=True)
    rejected_reason = ma.fields.Str(allow_none=True)
    released_at = AwareDateTime(allow_none=True)
    released_to = ma.fields.Str(allow_none=True)
    returned_at = AwareDateTime(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(CheckoutLineSchema))
    extensions = ma.fields.List(ma.fields.Nested(ExtensionSchema))
    actions = _actions(checkouts.checkout_actions, checkouts.CHECKOUT_ACTIONS)


# -- dispositions -----------------------------------------------------------------------------


class DispositionCreateSchema(Schema):
    item_ids = ITEM_IDS
    kind = _enum(DispositionKind, required=True)
    legal_basis = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "judgment / decision number (required for final disposal)"},
    )
    reason = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))
    owner_consent = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "the owner's application or consent (early sale at court; securities)"},
    )
    ground = _enum(
        DisposalGround,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "final disposals: judgment (default); before judgment unrelated "
            "(return_to_owner), contraband (hand_over, destroy), unclaimed (confiscate)"
        },
    )
    notice_ref = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "how the owner was notified (required for unrelated property)"},
    )


class RecipientSchema(Schema):
    name = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=100))
    id_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=32))
    is_agent = ma.fields.Bool(load_default=False)
    authorisation_ref = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=100),
        metadata={"description": "the written authorisation (授权委托书), proof of inheritance or letter"},
    )
    relation = _enum(RecipientRelation, load_default=None, allow_none=True)
    organisation = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))


class ExternalWitnessSchema(Schema):
    kind = _enum(WitnessKind, required=True)
    name = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=100))
    id_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=32))
    organisation = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))


class AuctionLotSchema(Schema):
    reference = ma.fields.Str(required=True, validate=ma.validate.Length(max=64))
    buyer = ma.fields.Str(required=True, validate=ma.validate.Length(max=200))


class ExecuteSchema(Schema):
    receipt_no = ma.fields.Str(required=True, validate=ma.validate.Length(max=64))
    confirmed_item_ids = ma.fields.List(
        Int(strict=True),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the items the keeper confirmed in hand (scanned or ticked): when sent, every "
            "item of the step must be in it (422 items.unconfirmed, unconfirmed_item_ids); omitted, "
            "not checked item by item"
        },
    )
    witness = ma.fields.Str(
        load_default=None,
        allow_none=True,
        metadata={"description": "username of the destruction witness (not in the chain of custody)"},
    )
    witness_password = ma.fields.Str(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "the user witness confirms with their own password"},
    )
    external_witness = ma.fields.Nested(ExternalWitnessSchema, load_default=None, allow_none=True)
    proceeds_fen = Int(
        load_default=None, allow_none=True, strict=True, metadata={"description": "the sale's (lot's) total"}
    )
    line_proceeds = ma.fields.Dict(
        keys=ma.fields.Str(),
        values=Int(strict=True),
        load_default=None,
        allow_none=True,
        metadata={"description": "optional price per item id of a lot; adds up to proceeds_fen"},
    )
    lot = ma.fields.Nested(
        AuctionLotSchema,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "a judicial auction lot sold together for proceeds_fen: its parts are "
            "line_proceeds if given, else the total split by appraised value (equally if none has one)"
        },
    )
    recipient = ma.fields.Nested(RecipientSchema, load_default=None, allow_none=True)


class DispositionQuerySchema(PageQuerySchema):
    status = _enum(DispositionRecordStatus)
    kind = _enum(DispositionKind)
    case_id = Int()


class DispositionLineSchema(Schema):
    item_id = Int()
    label_code = ma.fields.Function(lambda line: line.item.label_code)
    item_name = ma.fields.Function(lambda line: line.item.name)
    proceeds_fen = Int(allow_none=True)
    proceeds_item_id = Int(allow_none=True)


class DispositionSchema(Schema):
    id = Int()
    disposition_no = ma.fields.Str()
    case_id = Int()
    custodian_agency = ma.fields.Nested(AgencyRefSchema)
    kind = _enum(DispositionKind)
    ground = _enum(DisposalGround, allow_none=True)
    legal_basis = ma.fields.Str(allow_none=True)
    notice_ref = ma.fields.Str(allow_none=True)
    reason = ma.fields.Str(allow_none=True)
    owner_consent = ma.fields.Str(allow_none=True)
    lot_proceeds_fen = Int(allow_none=True)
    lot_auction_ref = ma.fields.Str(allow_none=True)
    lot_split = _enum(LotSplit, allow_none=True)
    lot_buyer = ma.fields.Function(
        lambda d: (
            shown("person_name", d.lot_buyer, full=_full_personal(d.custodian_agency_id))
            if d.lot_buyer
            else None
        ),
        metadata={"description": f"the auction lot's buyer (买受人), {PERSONAL_DOC}"},
    )
    refund_doc_no = ma.fields.Str(allow_none=True)
    status = _enum(DispositionRecordStatus)
    proposed_by_id = Int()
    proposed_at = AwareDateTime()
    approved_by_id = Int(allow_none=True)
    approved_at = AwareDateTime(allow_none=True)
    rejected_reason = ma.fields.Str(allow_none=True)
    executed_at = AwareDateTime(allow_none=True)
    receipt_no = ma.fields.Str(allow_none=True)
    witness_user_id = Int(allow_none=True)
    witness_kind = _enum(WitnessKind, allow_none=True)
    recipient = ma.fields.Function(
        lambda d: (
            {
                "name": shown("person_name", d.recipient.name, full=_full_personal(d.custodian_agency_id)),
                "relation": d.recipient_relation.value if d.recipient_relation else None,
                "is_agent": d.recipient_is_agent,
                "authorisation_ref": d.authorisation_ref,
            }
            if d.recipient
            else None
        )
    )
    lines = ma.fields.List(ma.fields.Nested(DispositionLineSchema))
    actions = _actions(dispositions.disposition_actions, dispositions.DISPOSITION_ACTIONS)


# -- freezes ----------------------------------------------------------------------------------


class FreezeCreateSchema(Schema):
    item_id = Int(required=True, strict=True)
    asset_type = _enum(FreezeAssetType, required=True)
    institution = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=100))
    account_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=40))
    account_name = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    amount_fen = Int(required=True, strict=True)
    start_on = Date(required=True)
    period_months = Int(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={
            "description": "default and maximum by asset type and agency: police deposits 6 (major case 12), "
            "securities 24, equity/insurance 6; court deposits 12, other rights 36"
        },
    )
    major_case = ma.fields.Bool(load_default=False)
    major_case_approval = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=100),
        metadata={"description": "who approved the one-year period of a major case (police)"},
    )
    notice_doc_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    receipt_end_on = Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "the end date on the institution's receipt: the freeze's real end"},
    )
    approved_by = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))
    approval_level = _enum(ApprovalLevel, load_default=None, allow_none=True)
    covers_fruits = ma.fields.Bool(load_default=False, metadata={"description": "是否及于孳息"})
    scope = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    listed_company = ma.fields.Bool(load_default=False)
    queued = ma.fields.Bool(
        load_default=False, metadata={"description": "轮候冻结 behind an existing freeze"}
    )


class RenewSchema(Schema):
    doc_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    period_months = Int(load_default=None, allow_none=True, strict=True)
    receipt_end_on = Date(load_default=None, allow_none=True)


class ActivateSchema(Schema):
    start_on = Date(required=True)
    receipt_end_on = Date(load_default=None, allow_none=True)
    doc_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))


class FreezeReleaseSchema(Schema):
    doc_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    reason = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class FreezeQuerySchema(PageQuerySchema):
    item_id = Int()
    status = _enum(FreezeStatus)
    expiring_before = Date()


class RenewalSchema(Schema):
    doc_no = ma.fields.Str()
    period_months = Int()
    previous_expires_on = Date()
    new_expires_on = Date()
    receipt_end_on = Date(allow_none=True)
    renewed_at = AwareDateTime()


class FreezeSchema(Schema):
    id = Int()
    item_id = Int()
    asset_type = _enum(FreezeAssetType)
    institution = ma.fields.Str()
    account_no = ma.fields.Function(
        lambda f: shown("account_no", f.account_no, full=_item_full_personal(f.item)),
        metadata={"type": "string", "description": PERSONAL_DOC},
    )
    account_name = ma.fields.Function(
        lambda f: shown("account_name", f.account_name, full=_item_full_personal(f.item)),
        metadata={"type": "string", "nullable": True, "description": PERSONAL_DOC},
    )
    amount_fen = Int()
    major_case = ma.fields.Bool()
    notice_doc_no = ma.fields.Str()
    start_on = Date()
    period_months = Int()
    expires_on = Date()
    receipt_end_on = Date(allow_none=True)
    approved_by = ma.fields.Str(allow_none=True)
    approval_level = _enum(ApprovalLevel, allow_none=True)
    covers_fruits = ma.fields.Bool()
    scope = ma.fields.Str(allow_none=True)
    listed_company = ma.fields.Bool()
    major_case_approval = ma.fields.Str(allow_none=True)
    queue_position = Int(allow_none=True)
    status = ma.fields.Function(
        lambda f: freeze_status_on(f.status, f.expires_on, local_date(utcnow())).value,
        metadata={"description": "active, queued (轮候), lapsed (expired without renewal) or released"},
    )
    released_at = AwareDateTime(allow_none=True)
    release_doc_no = ma.fields.Str(allow_none=True)
    renewals = ma.fields.List(ma.fields.Nested(RenewalSchema))
    actions = _actions(freezes.freeze_actions, freezes.FREEZE_ACTIONS)


# -- corrections ------------------------------------------------------------------------------


class CorrectionCreateSchema(Schema):
    item_id = Int(required=True, strict=True)
    field = ma.fields.Str(required=True, validate=ma.validate.OneOf(CORRECTABLE_FIELDS))
    new_value = ma.fields.Raw(required=True, allow_none=True)
    reason = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=500))


class CorrectionQuerySchema(PageQuerySchema):
    item_id = Int()
    status = _enum(CorrectionStatus)


class CorrectionSchema(Schema):
    id = Int()
    item_id = Int()
    field = ma.fields.Str()
    old_value = ma.fields.Method("dump_old")
    new_value = ma.fields.Method("dump_new")
    reason = ma.fields.Str()
    status = _enum(CorrectionStatus)
    proposed_by_id = Int()
    proposed_at = AwareDateTime()
    decided_by_id = Int(allow_none=True)
    decided_at = AwareDateTime(allow_none=True)
    decision_reason = ma.fields.Str(allow_none=True)
    actions = _actions(corrections.correction_actions, corrections.CORRECTION_ACTIONS)

    def _value(self, correction: Any, value: Any) -> Any:
        return shown(correction.field, value, full=_item_full_personal(correction.item))

    def dump_old(self, correction: Any) -> Any:
        return self._value(correction, correction.old_value)

    def dump_new(self, correction: Any) -> Any:
        return self._value(correction, correction.new_value)


# -- bulk import ------------------------------------------------------------------------------


class ImportFormSchema(Schema):
    """multipart/form-data: the ``file`` part (the filled-in template) and the new list's text fields."""

    file = FilePart(required=True, metadata={"description": "the filled-in template: .csv (UTF-8) or .xlsx"})
    seizure_list_id = Int(load_default=None, allow_none=True)
    seized_at = AwareDateTime(load_default=None, allow_none=True)
    seized_place = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    holder_name = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    holder_id_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=32))
    witness = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))


class ImportedItemSchema(Schema):
    id = Int()
    label_code = ma.fields.Str()
    name = ma.fields.Str()


class ImportResultSchema(Schema):
    seizure_list = ma.fields.Function(lambda r: {"id": r.seizure_list.id, "list_no": r.seizure_list.list_no})
    count = ma.fields.Function(lambda r: len(r.items))
    items = ma.fields.List(ma.fields.Nested(ImportedItemSchema))


class TemplateQuerySchema(Schema):
    format = ma.fields.Str(load_default="xlsx", validate=ma.validate.OneOf(["xlsx", "csv"]))


class RefundSchema(Schema):
    doc_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))
    reason = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
