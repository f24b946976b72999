"""Marshmallow schemas for cases, items, events and transfers (shape only; rules are in the domain)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from custody.domain.cases import CaseMoveKind, CaseOrigin
from custody.domain.enums import (
    AgencyKind,
    AttachmentKind,
    CaseStage,
    CustodyState,
    DispositionKind,
    DispositionStatus,
    ExternalKind,
    HolderSignature,
    ItemCategory,
    ItemStatus,
    LineDecision,
    LocationState,
    Measure,
    Outcome,
    TransferKind,
    TransferMode,
    TransferStatus,
)
from custody.domain.items import ItemFacts, derive_status, detail_warnings
from custody.domain.lifecycle import CheckoutPurpose, is_overdue
from custody.domain.personal_data import masked, sees_personal_data, shown
from custody.orm import utcnow
from custody.services.actions import (
    CASE_ACTIONS,
    ITEM_ACTIONS,
    TRANSFER_ACTIONS,
    case_actions,
    item_actions,
    transfer_actions,
)

from .common import (
    AgencyRefSchema,
    AwareDateTime,
    Computed,
    Date,
    DecimalString,
    FilePart,
    Int,
    Schema,
    dumper,
)


def _enum(cls: type, **kwargs: Any) -> ma.fields.Enum:
    return ma.fields.Enum(cls, by_value=True, **kwargs)


class PageQuerySchema(Schema):
    """Query strings also carry flask-smorest's ``page``/``page_size``; accept them here."""

    class Meta:
        unknown = ma.EXCLUDE


# -- cases ------------------------------------------------------------------------------------


class CaseCreateSchema(Schema):
    origin = _enum(
        CaseOrigin,
        load_default=CaseOrigin.POLICE_FILING,
        metadata={
            "description": "police_filing (police 立案), procuratorate_investigation (检察院自侦), "
            "supervisory_referral (监察委移送), private_prosecution (自诉, the court)"
        },
    )
    police_case_no = ma.fields.Str(
        load_default=None,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "the police case number (police_filing)"},
    )
    case_no = ma.fields.Str(
        load_default=None,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "the opening agency's own case number (other origins)"},
    )
    referring_body = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "the supervisory commission that referred the case"},
    )
    title = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=200))
    filed_on = Date(load_default=None, metadata={"description": "立案日期; default today"})
    summary = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=5000))


class CaseMoveInputSchema(Schema):
    doc_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    occurred_on = Date(load_default=None, allow_none=True)
    note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class InquirySchema(CaseMoveInputSchema):
    doc_no = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=64))


class MergeSchema(Schema):
    into_case_id = Int(required=True, strict=True)
    doc_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class CaseMoveSchema(Schema):
    id = Int()
    case_id = Int()
    kind = _enum(CaseMoveKind)
    occurred_on = Date()
    doc_no = ma.fields.Str(allow_none=True)
    note = ma.fields.Str(allow_none=True)
    other_case_id = Int(allow_none=True)
    recorded_at = AwareDateTime()


class CaseQuerySchema(PageQuerySchema):
    stage = _enum(CaseStage)
    q = ma.fields.Str(validate=ma.validate.Length(max=100))


class CustodianCountSchema(Schema):
    agency = ma.fields.Nested(AgencyRefSchema)
    count = Int()


class CaseSummarySchema(Schema):
    status = ma.fields.Str(
        metadata={"description": "no_items, awaiting_check_in, transfer_pending, in_custody, all_disposed"}
    )
    item_count = Int()
    total_value_fen = Int(
        metadata={
            "description": "value in fen of the items still held (disposed items excluded; cash without an estimate at its counted amount)"
        }
    )
    by_status = ma.fields.Dict(keys=ma.fields.Str(), values=Int())
    by_custodian = ma.fields.List(ma.fields.Nested(CustodianCountSchema))


def _actions(names: tuple[str, ...], of: str, ask: Any) -> ma.fields.Function:
    """``actions``: what the requesting user may do with the record now, asked of
    ``services.actions`` (the same answer the pages use to offer their buttons)."""

    def dump(row: Any) -> list[str]:
        from custody.access import current_actor

        return ask(current_actor(), row)

    return ma.fields.Function(
        dump,
        metadata={
            "type": "array",
            "items": {"type": "string", "enum": list(names)},
            "description": f"what you may do with this {of} now (each is also checked when you do it)",
        },
    )


def _case_actions(actor: Any, case: Any) -> list[str]:
    from custody.extensions import db

    return case_actions(db.session, actor, case)


class CaseSchema(Schema):
    id = Int()
    title = ma.fields.Str()
    summary = ma.fields.Str(allow_none=True)
    filed_on = Date()
    stage = _enum(CaseStage)
    origin = _enum(CaseOrigin)
    referring_body = ma.fields.Str(allow_none=True)
    police_case_no = ma.fields.Str(allow_none=True)
    procuratorate_case_no = ma.fields.Str(allow_none=True)
    court_case_no = ma.fields.Str(allow_none=True)
    appeal_case_no = ma.fields.Str(allow_none=True)
    police_agency = ma.fields.Nested(AgencyRefSchema, allow_none=True)
    procuratorate_agency = ma.fields.Nested(AgencyRefSchema, allow_none=True)
    court_agency = ma.fields.Nested(AgencyRefSchema, allow_none=True)
    appeal_court_agency = ma.fields.Nested(AgencyRefSchema, allow_none=True)
    handling_agency = ma.fields.Nested(AgencyRefSchema)
    merged_into_id = Int(allow_none=True)
    supplementary_rounds = Int()
    created_at = AwareDateTime()


class CaseDetailSchema(CaseSchema):
    items_summary = ma.fields.Nested(CaseSummarySchema, metadata={"description": "Derived from the items"})
    actions = _actions(CASE_ACTIONS, "case", _case_actions)


class SeizureListCreateSchema(Schema):
    seized_at = AwareDateTime(required=True)
    place = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    holder_name = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    holder_id_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=32))
    holder_contact = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    holder_signature = _enum(HolderSignature, load_default=HolderSignature.SIGNED)
    holder_signature_note = ma.fields.Str(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200)
    )
    officers = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    witness = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "a citizen, not the police's own staff (程序规定 194)"},
    )
    second_officer = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    witness_note = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "no qualified witness: recorded on video, and why (程序规定 194 ¶3)"},
    )
    obtained_before_filing = ma.fields.Bool(
        load_default=False, metadata={"description": "evidence obtained (调取) before the case was opened"}
    )


class SeizureListSchema(Schema):
    id = Int()
    list_no = ma.fields.Str()
    case_id = Int()
    seized_at = AwareDateTime()
    place = ma.fields.Str(allow_none=True)
    holder_name = ma.fields.Function(
        lambda sl: shown("holder_name", sl.holder_name, full=_full_personal(sl.created_by.agency_id)),
        metadata={
            "type": "string",
            "nullable": True,
            "description": "masked unless your agency drew the list up, or you are an auditor",
        },
    )
    holder_signature = _enum(HolderSignature)
    holder_signature_note = ma.fields.Str(allow_none=True)
    officers = ma.fields.Str(allow_none=True)
    second_officer = ma.fields.Str(allow_none=True)
    witness = ma.fields.Str(allow_none=True)
    witness_note = ma.fields.Str(allow_none=True)


# -- items ------------------------------------------------------------------------------------


class ItemCreateSchema(Schema):
    name = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=200))
    category = _enum(ItemCategory, required=True)
    quantity = ma.fields.Decimal(required=True, places=None, metadata={"description": "up to 3 decimals"})
    unit = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=16))
    measure = _enum(Measure, load_default=Measure.SEIZED)
    measure_doc_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    measure_date = Date(load_default=None, allow_none=True)
    seized_at = AwareDateTime(load_default=None, allow_none=True)
    seizure_list_id = Int(load_default=None, allow_none=True, strict=True)
    features = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))
    specification = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    condition_at_seizure = ma.fields.Str(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=500)
    )
    source = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    is_perishable = ma.fields.Bool(load_default=False)
    estimated_value_fen = Int(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "value in fen (分), an integer"},
    )
    details = ma.fields.Dict(
        keys=ma.fields.Str(),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "category-specific fields, e.g. cash {amount_fen, denominations}, "
            "vehicle {plate, vin}, phone {imei}, bank_account {bank, account_no}"
        },
    )
    owner_name = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    owner_id_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=32))
    owner_contact = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    ownership_clear = ma.fields.Bool(load_default=False)
    external_kind = _enum(ExternalKind, load_default=None, allow_none=True)
    external_place = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    external_contact = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))
    # Holder and place, used for a new seizure list when seizure_list_id is not given.
    holder_name = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    holder_id_no = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=32))
    holder_contact = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    holder_signature = _enum(HolderSignature, load_default=HolderSignature.SIGNED)
    holder_signature_note = ma.fields.Str(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=200)
    )
    seized_place = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    witness = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))


class ItemQuerySchema(PageQuerySchema):
    label_code = ma.fields.Str(validate=ma.validate.Length(max=32))
    case_id = Int()
    custodian = ma.fields.Str(metadata={"description": "agency id, or police / procuratorate / court"})
    status = _enum(ItemStatus)
    category = _enum(ItemCategory)
    location_id = Int()
    seized_from = Date()
    seized_to = Date()
    q = ma.fields.Str(validate=ma.validate.Length(max=100))
    flagged = ma.fields.Bool()
    overdue = ma.fields.Bool()
    sort = ma.fields.Str(
        load_default="-id",
        metadata={"description": "id, seized_at, label_code, name, value; '-' for descending"},
    )


def _full_personal(*agency_ids: int | None) -> bool:
    """The one rule (``domain.personal_data.sees_personal_data``) for the requesting user."""
    from custody.access import current_actor

    return sees_personal_data(current_actor(), *agency_ids)


def _item_full_personal(item: Any) -> bool:
    return _full_personal(item.custodian_agency_id)


PERSONAL_DOC = "masked unless your agency holds the item, or you are an auditor"


class StorageRefSchema(Schema):
    id = Int()
    code = ma.fields.Str()
    name = ma.fields.Str()
    path = ma.fields.Str()


class AttachmentSchema(Schema):
    id = Int()
    kind = _enum(AttachmentKind)
    filename = ma.fields.Str()
    content_type = ma.fields.Str()
    size_bytes = Int()
    sha256 = ma.fields.Str()
    description = ma.fields.Str(allow_none=True)
    uploaded_at = AwareDateTime()


def _status(item: Any) -> str:
    return derive_status(ItemFacts(item.custody_state, item.location_state, item.disposition_status)).value


STATUS_DOC = {
    "type": "string",
    "enum": [s.value for s in ItemStatus],
    "description": "derived from the four dimensions (custody, location, disposition, measure)",
}


# Documentation of the objects an item's computed fields return (response only; the JSON is built by
# ItemSchema's functions below). Every property is always present: ``required`` lists them all.


class SeizureListRefSchema(Schema):
    id = Int(required=True)
    list_no = ma.fields.Str(required=True)


class ItemOwnerSchema(Schema):
    name = ma.fields.Str(required=True, allow_none=True, metadata={"description": PERSONAL_DOC})
    id_no = ma.fields.Str(required=True, allow_none=True, metadata={"description": PERSONAL_DOC})
    contact = ma.fields.Str(required=True, allow_none=True, metadata={"description": PERSONAL_DOC})
    ownership_clear = ma.fields.Bool(required=True)


class ItemMeasureSchema(Schema):
    kind = _enum(Measure, required=True)
    doc_no = ma.fields.Str(
        required=True, allow_none=True, metadata={"description": "the decision's document number"}
    )
    date = ma.fields.Date(required=True)


class ItemCustodySchema(Schema):
    state = _enum(CustodyState, required=True)


class ItemExternalSchema(Schema):
    kind = _enum(ExternalKind, required=True)
    place = ma.fields.Str(required=True, allow_none=True)
    contact = ma.fields.Str(required=True, allow_none=True)


class ItemLocationSchema(Schema):
    state = _enum(LocationState, required=True)
    storage = ma.fields.Nested(
        StorageRefSchema,
        required=True,
        allow_none=True,
        metadata={"description": "the storage location, when in storage"},
    )
    external = ma.fields.Nested(
        ItemExternalSchema,
        required=True,
        allow_none=True,
        metadata={"description": "where it is kept outside the centre, if it is"},
    )
    condition = ma.fields.Str(
        required=True, allow_none=True, metadata={"description": "latest recorded condition"}
    )
    checked_in_at = ma.fields.DateTime(
        required=True, allow_none=True, metadata={"description": "first received into the centre"}
    )


class ItemDispositionSchema(Schema):
    status = _enum(DispositionStatus, required=True)
    kind = _enum(DispositionKind, required=True, allow_none=True)


class ItemCheckoutSchema(Schema):
    id = Int(required=True)
    checkout_no = ma.fields.Str(required=True)
    purpose = _enum(CheckoutPurpose, required=True)
    counterparty = ma.fields.Str(required=True, metadata={"description": "the counterparty's name"})
    released_to = ma.fields.Str(required=True, allow_none=True)
    due_at = ma.fields.DateTime(required=True)
    overdue = ma.fields.Bool(required=True)


class ItemSummarySchema(Schema):
    """An item in a list: personal data masked for everyone."""

    id = Int()
    label_code = ma.fields.Str()
    case_id = Int()
    name = ma.fields.Str()
    category = _enum(ItemCategory)
    quantity = DecimalString()
    unit = ma.fields.Str()
    estimated_value_fen = Int(allow_none=True)
    status = ma.fields.Function(_status, metadata=STATUS_DOC)
    custodian_agency = ma.fields.Nested(AgencyRefSchema)
    location_state = _enum(LocationState)
    storage_location = ma.fields.Nested(StorageRefSchema, allow_none=True)
    disposition_status = _enum(DispositionStatus)
    owner_name = ma.fields.Function(
        lambda item: masked("owner_name", item.owner_name),
        metadata={"type": "string", "nullable": True, "description": "masked"},
    )
    seized_at = AwareDateTime()
    flag_reason = ma.fields.Str(allow_none=True)
    overdue = ma.fields.Bool(
        dump_default=False, metadata={"description": "out on a check-out past its due time"}
    )


class ItemSchema(Schema):
    id = Int()
    actions = _actions(ITEM_ACTIONS, "item", item_actions)
    label_code = ma.fields.Str()
    case_id = Int()
    seizure_list = Computed(
        SeizureListRefSchema,
        function=lambda item: {"id": item.seizure_list.id, "list_no": item.seizure_list.list_no},
    )
    name = ma.fields.Str()
    category = _enum(ItemCategory)
    quantity = DecimalString()
    unit = ma.fields.Str()
    features = ma.fields.Str(allow_none=True)
    specification = ma.fields.Str(allow_none=True)
    condition_at_seizure = ma.fields.Str(allow_none=True)
    source = ma.fields.Str(allow_none=True)
    is_perishable = ma.fields.Bool()
    estimated_value_fen = Int(allow_none=True)
    details = ma.fields.Function(
        lambda item: shown("details", item.details, full=_item_full_personal(item)),
        metadata={
            "type": "object",
            "description": "category details; account numbers, account names and phone numbers "
            + PERSONAL_DOC,
        },
    )
    owner = Computed(ItemOwnerSchema, method="dump_owner")
    measure = Computed(
        ItemMeasureSchema,
        function=lambda item: {
            "kind": item.measure.value,
            "doc_no": item.measure_doc_no,
            "date": item.measure_date.isoformat(),
        },
    )
    seized_at = AwareDateTime()
    registered_at = AwareDateTime()
    status = ma.fields.Function(_status, metadata=STATUS_DOC)
    custodian_agency = ma.fields.Nested(AgencyRefSchema)
    custody = Computed(ItemCustodySchema, function=lambda item: {"state": item.custody_state.value})
    location = Computed(ItemLocationSchema, method="dump_location")
    disposition = Computed(
        ItemDispositionSchema,
        function=lambda item: {
            "status": item.disposition_status.value,
            "kind": item.disposition_kind.value if item.disposition_kind else None,
        },
    )
    flag_reason = ma.fields.Str(allow_none=True)
    warnings = ma.fields.Function(
        lambda item: [
            f"details.{key}.check_digit" for key, _value in detail_warnings(item.category, item.details)
        ],
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "details accepted that deserve a second look, e.g. `details.imei.check_digit`: "
            "an IMEI whose check digit is wrong (mistyped, or a counterfeit phone)",
        },
    )
    source_item_id = Int(allow_none=True, metadata={"description": "early-sale proceeds: the item sold"})
    attachments = ma.fields.List(ma.fields.Nested(AttachmentSchema))
    checkout = Computed(
        ItemCheckoutSchema,
        method="dump_checkout",
        allow_none=True,
        metadata={"description": "the check-out it is out on, if any"},
    )
    freezes = Computed(
        "FreezeSchema",
        method="dump_freezes",
        many=True,
        metadata={"description": "freeze orders on it (bank accounts, securities…)"},
    )
    corrections = Computed(
        "CorrectionSchema",
        method="dump_corrections",
        many=True,
        metadata={"description": "corrections of its fields, visible"},
    )
    event_count = Int()
    version = Int()

    def dump_checkout(self, item: Any) -> dict[str, Any] | None:
        from custody.extensions import db
        from custody.services.checkouts import open_checkout_for

        checkout = (
            open_checkout_for(db.session, item.id)
            if item.location_state is LocationState.CHECKED_OUT
            else None
        )
        if checkout is None:
            return None
        return {
            "id": checkout.id,
            "checkout_no": checkout.checkout_no,
            "purpose": checkout.purpose.value,
            "counterparty": checkout.counterparty.name,
            "released_to": checkout.released_to,
            "due_at": checkout.due_at.isoformat(),
            "overdue": is_overdue(checkout.status, checkout.due_at, utcnow()),
        }

    def dump_freezes(self, item: Any) -> list[dict[str, Any]]:
        from custody.extensions import db
        from custody.models.lifecycle import FreezeOrder

        from .lifecycle_schemas import FreezeSchema

        if item.measure is not Measure.FROZEN:
            return []  # only frozen items have freeze orders (services.freezes.create_freeze)
        rows = db.session.scalars(
            select(FreezeOrder)
            .where(FreezeOrder.item_id == item.id)
            .order_by(FreezeOrder.id)
            .options(joinedload(FreezeOrder.renewals))
        ).unique()
        return dumper(FreezeSchema, many=True).dump(rows)

    def dump_corrections(self, item: Any) -> list[dict[str, Any]]:
        from .lifecycle_schemas import CorrectionSchema

        return dumper(CorrectionSchema, many=True).dump(item.corrections)  # loaded with the item where shown

    def dump_owner(self, item: Any) -> dict[str, Any]:
        full = _item_full_personal(item)
        return {
            "name": shown("owner_name", item.owner_name, full=full),
            "id_no": shown("owner_id_no", item.owner_id_no, full=full),
            "contact": shown("owner_contact", item.owner_contact, full=full),
            "ownership_clear": item.ownership_clear,
        }

    def dump_location(self, item: Any) -> dict[str, Any]:
        location = item.storage_location
        return {
            "state": item.location_state.value,
            "storage": dumper(StorageRefSchema).dump(location) if location else None,
            "external": {
                "kind": item.external_kind.value,
                "place": item.external_place,
                "contact": item.external_contact,
            }
            if item.external_kind
            else None,
            "condition": item.condition,
            "checked_in_at": item.checked_in_at.isoformat() if item.checked_in_at else None,
        }


class ActingForSchema(Schema):
    agency_id = Int(required=True)
    agency_code = ma.fields.Str(required=True)
    agency_name = ma.fields.Str(required=True)


class EventActorSchema(Schema):
    """Who acted, as recorded at the time (names as they were then)."""

    class Meta:
        unknown = ma.INCLUDE  # the record is historical: tolerate properties added later

    user_id = Int(required=True)
    username = ma.fields.Str(required=True)
    display_name = ma.fields.Str(required=True)
    agency_id = Int(required=True)
    agency_code = ma.fields.Str(required=True)
    agency_name = ma.fields.Str(required=True)
    agency_kind = _enum(AgencyKind, required=True)
    roles = ma.fields.List(ma.fields.Str(), required=True, metadata={"description": "role names, sorted"})
    acting_for = ma.fields.Nested(
        ActingForSchema,
        metadata={
            "description": "present when a keeper of a custody centre's operator agency acted for the item's "
            "custodian agency (三方共管 with an operator)"
        },
    )


class EventSchema(Schema):
    id = Int()
    seq = Int(attribute="item_seq")
    action = ma.fields.Str()
    outcome = ma.fields.Function(
        lambda e: e.outcome.value, metadata={"type": "string", "enum": [o.value for o in Outcome]}
    )
    occurred_at = AwareDateTime()
    recorded_at = AwareDateTime()
    actor = Computed(
        EventActorSchema,
        function=lambda e: e.actor,
        allow_none=True,
        metadata={"description": "null for events without a signed-in user (e.g. a failed login)"},
    )
    reason = ma.fields.Str(allow_none=True)
    data = ma.fields.Dict(
        keys=ma.fields.Str(),
        metadata={
            "description": "the action's own facts (ids, numbers, old and new values…); its properties depend on "
            "``action`` (docs/LEDGER.md §5), so any property may appear",
            "additionalProperties": True,
        },
    )
    prev_hash = ma.fields.Str(allow_none=True)
    hash = ma.fields.Str()


class OccurredSchema(Schema):
    occurred_at = AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "when it happened; back-dating needs a reason"},
    )
    reason = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


LATE_REASON = {
    "description": "why a police item is checked in more than 24 hours after its seizure: required then "
    "(422 check_in.late_reason), recorded in the check-in event"
}


class CheckInSchema(OccurredSchema):
    location_id = Int(required=True, strict=True)
    late_reason = ma.fields.Str(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=400), metadata=LATE_REASON
    )
    condition = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    bring_in = ma.fields.Bool(
        load_default=False,
        metadata={
            "description": "bring an item kept outside the centre (holder, bank, impound lot) in: "
            "a deliberate step that needs a reason; without it such an item is refused (409 item.kept_outside)"
        },
    )


class CheckInBatchSchema(OccurredSchema):
    label_codes = ma.fields.List(
        ma.fields.Str(validate=ma.validate.Length(min=1, max=64)),
        required=True,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "the scanned label codes, in scanning order"},
    )
    location_id = Int(required=True, strict=True)
    condition = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    handed_over_by = ma.fields.Str(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=64),
        metadata={"description": "移交人: who handed the items over (printed on the 入库交接单)"},
    )
    late_reason = ma.fields.Str(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=400), metadata=LATE_REASON
    )


class CheckInReceiptLocationSchema(Schema):
    id = Int()
    code = ma.fields.Str()
    path = ma.fields.Str()


class CheckInReceiptSchema(Schema):
    """入库交接单: one check-in batch — its items, who handed them over, the keeper who received them."""

    receipt_no = ma.fields.Str(metadata={"description": "RK-<agency>-<year>-<number>"})
    handed_over_by = ma.fields.Str(allow_none=True)
    received_by = ma.fields.Function(lambda receipt: receipt.received_by.display_name)
    received_at = ma.fields.AwareDateTime()
    location = ma.fields.Nested(CheckInReceiptLocationSchema)
    items = ma.fields.Function(
        lambda receipt: dumper(ItemSummarySchema, many=True).dump([line.item for line in receipt.lines])
    )
    pdf_url = ma.fields.Function(lambda receipt: f"/storage/check-ins/{receipt.receipt_no}.pdf")


class MoveSchema(OccurredSchema):
    location_id = Int(required=True, strict=True)


class MoveBatchSchema(OccurredSchema):
    label_codes = ma.fields.List(
        ma.fields.Str(validate=ma.validate.Length(min=1, max=64)),
        required=True,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "the scanned label codes, in scanning order"},
    )
    location_id = Int(required=True, strict=True, metadata={"description": "where they all go"})


class ExternalSchema(OccurredSchema):
    kind = _enum(ExternalKind, required=True)
    place = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=200))
    contact = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))


class ConditionSchema(OccurredSchema):
    condition = ma.fields.Str(required=True, validate=ma.validate.Length(min=1, max=500))


class AttachmentUploadSchema(Schema):
    """multipart/form-data: the ``file`` part and two text fields."""

    file = FilePart(required=True, metadata={"description": "JPEG, PNG or PDF, at most 20 MB"})
    kind = _enum(AttachmentKind, load_default=AttachmentKind.PHOTO)
    description = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))


# -- transfers --------------------------------------------------------------------------------


class TransferLineInputSchema(Schema):
    item_id = Int(required=True, strict=True)
    proposed_disposition = _enum(DispositionKind, load_default=None, allow_none=True)
    mode = _enum(TransferMode, load_default=TransferMode.BY_RECORD)


class TransferCreateSchema(Schema):
    case_id = Int(required=True, strict=True)
    to_agency_id = Int(required=True, strict=True)
    kind = _enum(TransferKind, required=True)
    item_ids = ma.fields.List(
        Int(strict=True),
        required=True,
        validate=ma.validate.Length(max=5000),
        metadata={
            "description": "the items to hand over; [] for a stage transfer of the case "
            "file alone (items the sender holds stay with it)"
        },
    )
    lines = ma.fields.List(
        ma.fields.Nested(TransferLineInputSchema),
        load_default=list,
        metadata={"description": "per-line proposed disposition and mode (default by_record)"},
    )
    note = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))


class TransferAcceptSchema(Schema):
    item_ids = ma.fields.List(Int(strict=True), required=True, validate=ma.validate.Length(max=5000))
    case_no = ma.fields.Str(
        load_default=None,
        allow_none=True,
        metadata={"description": "the receiving procuratorate's or court's case number (first sign-for)"},
    )


class TransferRejectSchema(Schema):
    item_ids = ma.fields.List(Int(strict=True), required=True, validate=ma.validate.Length(min=1, max=5000))
    reason = ma.fields.Str(required=True, validate=ma.validate.Length(max=500))


class TransferRecallSchema(Schema):
    reason = ma.fields.Str(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))


class TransferQuerySchema(PageQuerySchema):
    direction = ma.fields.Str(validate=ma.validate.OneOf(["incoming", "outgoing"]))
    status = _enum(TransferStatus)
    case_id = Int()


class TransferLineSchema(Schema):
    id = Int()
    line_no = Int()
    item_id = Int()
    label_code = ma.fields.Function(lambda line: line.item.label_code)
    item_name = ma.fields.Function(lambda line: line.item.name)
    proposed_disposition = _enum(DispositionKind, allow_none=True)
    mode = _enum(TransferMode)
    decision = _enum(LineDecision)
    reason = ma.fields.Str(allow_none=True)
    decided_at = AwareDateTime(allow_none=True)


class TransferSchema(Schema):
    id = Int()
    transfer_no = ma.fields.Str()
    case_id = Int()
    kind = _enum(TransferKind)
    from_agency = ma.fields.Nested(AgencyRefSchema)
    to_agency = ma.fields.Nested(AgencyRefSchema)
    status = _enum(TransferStatus)
    note = ma.fields.Str(allow_none=True)
    created_at = AwareDateTime()
    received_at = AwareDateTime(allow_none=True)
    completed_at = AwareDateTime(allow_none=True)
    recalled_at = AwareDateTime(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(TransferLineSchema))
    actions = _actions(TRANSFER_ACTIONS, "transfer", transfer_actions)
