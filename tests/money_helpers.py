"""Building blocks for money tests: accounts, cash items, deposits."""

from __future__ import annotations

from sqlalchemy import func, select

from custody.domain.enums import ItemCategory
from custody.domain.money import ClaimClass, LineKind, LineStatus
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.money import MoneyAccount, MoneyMovement
from custody.services import money, restitution

from .factories import act, agency, judge_case, open_case, register

ACCOUNTS = {
    "PDGA": ("中国工商银行上海浦东分行", "1001 2345 6789 0001", "浦东公安分局涉案款专户"),
    "PDJC": ("中国建设银行上海浦东分行", "3100 1234 5678 0002", "浦东检察院涉案款专户"),
    "PDFY": ("中国农业银行上海浦东分行", "0333 0000 1111 0003", "浦东法院涉案款专户"),
}


def account(code: str = "PDGA") -> MoneyAccount:
    """The agency's case-money account (created on first use)."""
    existing = db.session.scalar(select(MoneyAccount).where(MoneyAccount.agency_id == agency(code).id))
    if existing:
        return existing
    bank, number, name = ACCOUNTS[code]
    created = money.create_account(
        db.session, None, agency_id=agency(code).id, bank=bank, account_no=number, account_name=name
    )
    db.session.commit()
    return created


def cash(case, amount_fen: int = 1_000_000, name: str = "人民币现金"):
    return register(
        case, name=name, category=ItemCategory.CASH, unit="元", details={"amount_fen": amount_fen}
    )


def deposit(
    item, amount_fen: int | None = None, username: str = "police_keeper", slip_no: str = "存款凭条 0001", **kw
):
    account(act(username).agency_code)
    movement = money.deposit_cash(
        db.session,
        act(username),
        item.id,
        amount_fen=item.details["amount_fen"] if amount_fen is None else amount_fen,
        slip=money.Slip(slip_no=slip_no, bank="中国工商银行上海浦东分行", payer_account="6222 0000 1111"),
        **kw,
    )
    db.session.commit()
    return movement


def movement_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(MoneyMovement))


def event_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def funded_case(amount_fen: int = 1_000_000, *, judged: bool = True):
    """Police deposit the cash; the case goes to court (the money follows) and is judged."""
    case = open_case()
    deposit(cash(case, amount_fen))
    if judged:
        judge_case(case)
    return case


def victim(case, name="李某", **kwargs):
    created = restitution.add_victim(db.session, act("judge"), case.id, name=name, **kwargs)
    db.session.commit()
    return created


def claim(case, klass=ClaimClass.VICTIM_LOSS, amount=100_000, who=None, confirmed="same", compensated=None):
    created = restitution.add_claim(
        db.session,
        act("judge"),
        case.id,
        klass=klass,
        claimed_fen=amount,
        victim_id=who.id if who else None,
        confirmed_fen=amount if confirmed == "same" else confirmed,
        compensated_fen=compensated,
        basis="判决主文第二项",
    )
    db.session.commit()
    return created


def propose(case, username="judge"):
    plan = restitution.propose_plan(db.session, act(username), case.id)
    db.session.commit()
    return plan


def approve(plan, username="court_approver"):
    restitution.decide_plan(db.session, act(username), plan.id, approve=True)
    db.session.commit()
    return plan


def pay(plan, line_no, receipt="领款凭证 1", username="court_keeper"):
    movements = restitution.pay_line(db.session, act(username), plan.id, line_no, receipt_no=receipt)
    db.session.commit()
    return movements


def court_balance(case) -> int:
    db.session.commit()
    return money.case_balance(db.session, act("court_keeper"), case.id)


def allocations(plan) -> list[tuple[LineKind, ClaimClass | None, int, LineStatus]]:
    db.session.refresh(plan)
    return [(line.kind, line.klass, line.allocated_fen, line.status) for line in plan.lines]
