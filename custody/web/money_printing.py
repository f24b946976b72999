"""Money pages (issue 13), printed: a ledger's sub-ledger (分户账) and a plan's restitution list
(发还清单). Routes of the ``money`` blueprint."""

from __future__ import annotations

from custody.access import current_actor
from custody.database import writes_on_get
from custody.domain.money import ClaimClass, LineStatus, MovementKind
from custody.domain.personal_data import shown
from custody.extensions import db
from custody.models.money import Victim
from custody.orm import utcnow
from custody.printing import LedgerLine, RestitutionEntry, RestitutionList, SubLedger
from custody.printing import restitution_list_pdf as build_restitution_list
from custody.printing import sub_ledger_pdf as build_sub_ledger
from custody.services import accounts, money, restitution
from custody.services.visibility import get_case

from .helpers import confirmation_redirect, send_document
from .money import _agency_names, _sees_personal_data, bp

# -- printing ------------------------------------------------------------------------------------------

KIND_WORDS = {
    MovementKind.DEPOSIT: "现金存入",
    MovementKind.INTEREST: "孳息",
    MovementKind.PROCEEDS: "变卖价款",
    MovementKind.DEDUCTION: "冻结款扣划",
    MovementKind.REFUND: "退库",
    MovementKind.TRANSFER: "随案移交",
    MovementKind.RESTITUTION: "发还被害人",
    MovementKind.REMITTANCE: "上缴国库",
}
CLASS_WORDS = {
    ClaimClass.MEDICAL: "人身损害医疗费用",
    ClaimClass.VICTIM_LOSS: "退赔被害人损失",
    ClaimClass.CIVIL_DEBT: "其他民事债务",
    ClaimClass.FINE: "罚金",
    ClaimClass.CONFISCATION: "没收财产",
}


@bp.get("/money/ledgers/<int:ledger_id>/sub-ledger.pdf")
@writes_on_get
def sub_ledger_pdf(ledger_id: int):
    actor = current_actor()
    ledger, case = money.get_ledger(db.session, actor, ledger_id)
    names = _agency_names()
    rows = money.case_movements(db.session, actor, case.id, ledger_id=ledger.id)
    data = SubLedger(
        case_no=case.latest_number,
        case_title=case.title,
        account=ledger.account.label,
        account_name=ledger.account.account_name,
        custodian=ledger.custodian_agency.name,
        agency=actor.agency_name,
        printed_at=utcnow(),
        lines=[
            LedgerLine(
                seq=m.seq,
                value_date=m.value_date,
                kind=KIND_WORDS[m.kind],
                amount_fen=m.delta_fen,
                balance_fen=m.balance_after_fen,
                reference=m.reference or "",
                custodian=names.get(m.custodian_agency_id, ""),
                notes=(
                    f"自{names.get(m.from_agency_id or 0, '')}" if m.kind is MovementKind.TRANSFER else ""
                ),
            )
            for m in rows
        ],
    )
    return send_document(
        build_sub_ledger(data, footer=f"{actor.agency_name} · {actor.display_name}"),
        f"涉案款分户账-{case.latest_number}-{ledger.id}.pdf",
        document="sub_ledger",
        object_id=ledger.id,
        case_no=case.latest_number,
    )


@bp.get("/money/plans/<int:plan_id>/restitution-list.pdf")
@writes_on_get
def restitution_list_pdf(plan_id: int):
    actor = current_actor()
    plan = restitution.get_plan(db.session, actor, plan_id)
    if (confirm := confirmation_redirect()) is not None:
        return confirm  # the list names the victims and their ID numbers
    case = get_case(db.session, actor, plan.case_id)
    victims: dict[int, Victim] = {v.id: v for v in restitution.victims_of(db.session, actor, case.id)}
    ledgers = money.case_ledgers(db.session, actor, case.id)
    personal = _sees_personal_data(actor, case, ledgers)
    approver = accounts.users_by_id(db.session, plan.approved_by_id).get(plan.approved_by_id or 0)
    entries = []
    for line in plan.lines:
        victim_id = restitution.victim_id_of(line)
        victim = victims.get(victim_id) if victim_id else None
        entries.append(
            RestitutionEntry(
                line_no=line.line_no,
                payee=victim.name if victim else "国库",
                id_no=(shown("person_id_no", victim.id_no, full=personal) or "") if victim else "",
                klass=CLASS_WORDS[line.klass] if line.klass else "余款上缴国库",
                owed_fen=line.owed_fen,
                allocated_fen=line.allocated_fen,
                status={
                    LineStatus.PENDING: "待支付",
                    LineStatus.PAID: "已支付",
                    LineStatus.NOTHING_DUE: "无可分配",
                }[line.status],
                receipt_no=line.receipt_no or "",
            )
        )
    data = RestitutionList(
        plan_no=plan.plan_no,
        case_no=case.latest_number,
        case_title=case.title,
        funds_fen=plan.funds_fen,
        rule=plan.rule,
        legal_basis=plan.legal_basis or "",
        approved_by=approver.display_name if approver else "",
        approved_at=plan.approved_at,
        agency=plan.agency.name,
        lines=entries,
    )
    return send_document(
        build_restitution_list(data, footer=f"{actor.agency_name} · {actor.display_name}"),
        f"发还清单-{plan.plan_no}.pdf",
        document="restitution_list",
        object_id=plan.id,
        plan_no=plan.plan_no,
    )
