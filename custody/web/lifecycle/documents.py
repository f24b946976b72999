"""The printed forms of check-outs and disposals: the check-out slip (调用单), the return list (发还清单),
the destruction record (销毁记录) and the execution record (处置执行记录). Chinese documents whatever the
UI language; each print is recorded (``helpers.send_document``)."""

from __future__ import annotations

from custody.access import current_actor
from custody.database import writes_on_get
from custody.domain.enums import AgencyKind, DispositionKind
from custody.domain.lifecycle import DispositionRecordStatus, RecipientRelation
from custody.domain.personal_data import sees_personal_data, shown
from custody.extensions import db
from custody.models.case import Case
from custody.printing import CheckoutLine as SlipLine
from custody.printing import (
    CheckoutSlip,
    DestructionRecord,
    ExecutionLine,
    ExecutionRecord,
    ReturnLine,
    ReturnList,
    format_datetime,
)
from custody.printing import checkout_slip_pdf as build_checkout_slip
from custody.printing import destruction_record_pdf as build_destruction_record
from custody.printing import execution_record_pdf as build_execution_record
from custody.printing import return_list_pdf as build_return_list
from custody.services import checkouts as checkout_service
from custody.services import dispositions as disposition_service
from custody.services.checkouts import refuse_if, users_by_id

from ..helpers import confirmation_redirect, printed, send_document
from ..particulars import printed_particulars, printed_quantity
from .common import bp, print_footer

RECEIVER_ROLES = {DispositionKind.EARLY_SALE: "买受人"}


def case_number(case: Case | None, kind: AgencyKind | None = None) -> str:
    """The case's number as the given authority knows it, else the latest one it has."""
    if case is None:
        return ""
    by_kind = {
        AgencyKind.POLICE: case.police_case_no,
        AgencyKind.PROCURATORATE: case.procuratorate_case_no,
        AgencyKind.COURT: case.court_case_no,
    }
    if kind is not None and by_kind.get(kind):
        return by_kind[kind] or ""
    return case.latest_number


@bp.get("/checkouts/<int:checkout_id>/slip.pdf")
@writes_on_get
def checkout_slip_pdf(checkout_id: int):
    actor = current_actor()
    checkout = checkout_service.get_checkout(db.session, actor, checkout_id)
    refuse_if(checkout_service.slip_problem(checkout))
    case = checkout.case
    people = users_by_id(
        db.session, checkout.requested_by_id, checkout.approved_by_id, checkout.released_by_id
    )

    def name(user_id: int | None) -> str:
        return people[user_id].display_name if user_id in people else ""

    slip = CheckoutSlip(
        slip_no=checkout.checkout_no,
        case_no=case_number(case, checkout.custodian_agency.kind),
        case_title=case.title if case else "",
        purpose=printed(checkout.purpose.label),
        counterparty=checkout.released_to or checkout.counterparty.name,
        counterparty_org=checkout.counterparty.organisation or "",
        due_at=checkout.due_at,
        approver=name(checkout.approved_by_id),
        requester=name(checkout.requested_by_id),
        approved_at=checkout.approved_at,
        released_at=checkout.released_at,
        keeper=name(checkout.released_by_id),
        notes=checkout.note or "",
        approval_opinion=checkout_service.approval_opinion(db.session, checkout) or "",
        lines=[
            SlipLine(
                label_code=line.item.label_code,
                name=line.item.name,
                quantity=printed_quantity(line.item),
                condition=line.item.condition or "",
                notes=printed_particulars(line.item, features=False),
            )
            for line in checkout.lines
        ],
    )
    return send_document(
        build_checkout_slip(slip, footer=print_footer(actor)),
        f"{checkout.checkout_no}.pdf",
        document="checkout_slip",
        object_id=checkout.id,
        checkout_no=checkout.checkout_no,
    )


# -- disposals ------------------------------------------------------------------------------


@bp.get("/dispositions/<int:disposition_id>/return-list.pdf")
@writes_on_get
def return_list_pdf(disposition_id: int):
    actor = current_actor()
    disposition = disposition_service.get_disposition(db.session, actor, disposition_id)
    if (confirm := confirmation_redirect()) is not None:
        return confirm  # the list names the owner and their ID number
    refuse_if(disposition_service.document_problem(disposition, "return_list"))
    case = disposition.case
    items = [line.item for line in disposition.lines]
    personal = sees_personal_data(actor, *(i.custodian_agency_id for i in items))

    def shown_id(value: str | None) -> str:
        return shown("owner_id_no", value, full=personal) or ""

    recipient = disposition.recipient
    owner_names = list(
        dict.fromkeys(shown("owner_name", i.owner_name, full=personal) for i in items if i.owner_name)
    )
    owner_ids = list(dict.fromkeys(i.owner_id_no for i in items if i.owner_id_no))
    collects_for_owner = disposition.recipient_relation not in (
        None,
        RecipientRelation.OWNER,
        RecipientRelation.HOLDER,
    )
    agent = shown("person_name", recipient.name, full=personal) if recipient and collects_for_owner else ""
    if recipient and not collects_for_owner:
        owner = shown("person_name", recipient.name, full=personal)
        owner_id = shown_id(recipient.id_no or (owner_ids[0] if owner_ids else None))
    else:
        owner, owner_id = "、".join(n for n in owner_names if n), "、".join(shown_id(v) for v in owner_ids)
    approver = users_by_id(db.session, disposition.approved_by_id).get(disposition.approved_by_id or 0)
    approval = disposition.legal_basis or ""
    if approver is not None and disposition.approved_at is not None:
        approval = "；".join(
            filter(
                None, [approval, f"{approver.display_name} {format_datetime(disposition.approved_at)} 批准"]
            )
        )
    notes = f"执行回单号：{disposition.receipt_no}" if disposition.receipt_no else ""
    data = ReturnList(
        return_no=disposition.disposition_no,
        case_no=case_number(case, disposition.custodian_agency.kind),
        case_title=case.title if case else "",
        owner=owner,
        owner_id_no=owner_id,
        kind="先行发还" if disposition.kind is DispositionKind.PRETRIAL_RETURN else "发还",
        agent=agent,
        authorisation=disposition.authorisation_ref or "" if agent else "",
        approval=approval,
        agency=disposition.custodian_agency.name,
        returned_at=disposition.executed_at,
        approval_opinion=disposition_service.approval_opinion(db.session, disposition) or "",
        notes=notes,
        lines=[
            ReturnLine(
                label_code=i.label_code,
                name=i.name,
                quantity=printed_quantity(i),
                value_fen=i.value_fen,
                notes=printed_particulars(i),
            )
            for i in items
        ],
    )
    return send_document(
        build_return_list(data, footer=print_footer(actor)),
        f"{disposition.disposition_no}.pdf",
        document="return_list",
        object_id=disposition.id,
        disposition_no=disposition.disposition_no,
    )


@bp.get("/dispositions/<int:disposition_id>/destruction-record.pdf")
@writes_on_get
def destruction_record_pdf(disposition_id: int):
    """销毁记录 with the signature lines of the executing keeper and the witness."""
    actor = current_actor()
    disposition = disposition_service.get_disposition(db.session, actor, disposition_id)
    refuse_if(disposition_service.document_problem(disposition, "destruction_record"))
    case = disposition.case
    items = [line.item for line in disposition.lines]
    personal = sees_personal_data(actor, *(i.custodian_agency_id for i in items))
    people = users_by_id(
        db.session, disposition.executed_by_id, disposition.witness_user_id, disposition.approved_by_id
    )
    witness, witness_id = "", ""
    if disposition.witness_user_id in people:
        user = people[disposition.witness_user_id]
        witness = f"{user.display_name}（{user.agency.name}，系统用户，已密码确认）"
    elif disposition.witness_counterparty is not None:
        person = disposition.witness_counterparty
        name = shown("person_name", person.name, full=personal) or ""
        label = printed(disposition.witness_kind.label) if disposition.witness_kind else ""
        witness = "，".join(filter(None, [name, label, person.organisation or ""]))
        witness_id = shown("person_id_no", person.id_no, full=personal) or ""
    executor = people.get(disposition.executed_by_id or 0)
    approver = people.get(disposition.approved_by_id or 0)
    data = DestructionRecord(
        record_no=disposition.disposition_no,
        case_no=case_number(case, disposition.custodian_agency.kind),
        case_title=case.title if case else "",
        ground=printed(disposition.ground.label) if disposition.ground else "",
        legal_basis=disposition.legal_basis or "",
        approval=f"{approver.display_name} {format_datetime(disposition.approved_at)} 批准"
        if approver
        else "",
        agency=disposition.custodian_agency.name,
        executor=executor.display_name if executor else "",
        witness=witness,
        witness_id_no=witness_id,
        destroyed_at=disposition.executed_at,
        receipt_no=disposition.receipt_no or "",
        approval_opinion=disposition_service.approval_opinion(db.session, disposition) or "",
        notes=disposition.reason or "",
        lines=[
            ReturnLine(
                label_code=i.label_code,
                name=i.name,
                quantity=printed_quantity(i),
                notes=printed_particulars(i),
            )
            for i in items
        ],
    )
    return send_document(
        build_destruction_record(data, footer=print_footer(actor)),
        f"{disposition.disposition_no}-destruction.pdf",
        document="destruction_record",
        object_id=disposition.id,
        disposition_no=disposition.disposition_no,
    )


# The kinds whose execution has no printed record of its own (a return has its 发还清单, a destruction


RECEIVER_ROLES = {DispositionKind.EARLY_SALE: "买受人"}


@bp.get("/dispositions/<int:disposition_id>/execution-record.pdf")
@writes_on_get
def execution_record_pdf(disposition_id: int):
    """处置执行记录 of a confiscation, hand-over or early sale: the items with their amounts (and each
    item's part of a sale price), the receiver, and the executor's, receiver's and witness's signature
    lines. Printed once approved (to take along and sign) or executed."""
    actor = current_actor()
    disposition = disposition_service.get_disposition(db.session, actor, disposition_id)
    refuse_if(disposition_service.document_problem(disposition, "execution_record"))
    case = disposition.case
    people = users_by_id(db.session, disposition.executed_by_id, disposition.approved_by_id)
    executor = people.get(disposition.executed_by_id or 0)
    approver = people.get(disposition.approved_by_id or 0)
    sale = disposition.kind is DispositionKind.EARLY_SALE
    executed = disposition.status is DispositionRecordStatus.EXECUTED
    data = ExecutionRecord(
        record_no=disposition.disposition_no,
        case_no=case_number(case, disposition.custodian_agency.kind),
        case_title=case.title if case else "",
        kind=printed(disposition.kind.label),
        ground=printed(disposition.ground.label) if disposition.ground else "",
        legal_basis=disposition.legal_basis or "",
        approval=f"{approver.display_name} {format_datetime(disposition.approved_at)} 批准"
        if approver
        else "",
        agency=disposition.custodian_agency.name,
        executor=executor.display_name if executor else "",
        executed_at=disposition.executed_at,
        receipt_no=disposition.receipt_no or "",
        receiver=(disposition.lot_buyer or "") if sale else "",
        receiver_role=RECEIVER_ROLES.get(disposition.kind, "接收单位"),
        lot=disposition.lot_auction_ref or "",
        proceeds_fen=disposition.lot_proceeds_fen if sale and executed else None,
        sale=sale,
        notes=disposition.reason or "",
        lines=[
            ExecutionLine(
                label_code=line.item.label_code,
                name=line.item.name,
                quantity=printed_quantity(line.item),
                value_fen=line.item.value_fen,
                proceeds_fen=line.proceeds_fen,
                notes=printed_particulars(line.item),
            )
            for line in disposition.lines
        ],
    )
    return send_document(
        build_execution_record(data, footer=print_footer(actor)),
        f"{disposition.disposition_no}-execution.pdf",
        document="execution_record",
        object_id=disposition.id,
        disposition_no=disposition.disposition_no,
    )
