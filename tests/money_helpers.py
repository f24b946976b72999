"""Building blocks for money tests: accounts, cash items, deposits."""

from __future__ import annotations

from sqlalchemy import func, select

from custody.domain import clock as app_clock
from custody.domain.enums import ItemCategory, Measure
from custody.domain.lifecycle import FreezeAssetType
from custody.domain.money import ClaimClass, LineKind, LineStatus
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.money import MoneyAccount, MoneyMovement
from custody.services import freezes, money, restitution

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


ALIPAY = {"platform": "支付宝", "account_id": "138****0000@alipay", "account_name": "张某"}


def bank_account(case, no):
    return register(
        case,
        name=f"工行账户{no[-4:]}",
        category=ItemCategory.BANK_ACCOUNT,
        measure=Measure.FROZEN,
        details={"bank": "工商银行浦东分行", "account_no": no},
    )


def payment_account(case):
    return register(
        case,
        name="支付宝账户余额",
        category=ItemCategory.PAYMENT_ACCOUNT,
        measure=Measure.FROZEN,
        details=ALIPAY,
    )


def freeze(item, account_no, amount, institution="工商银行浦东分行", **kw):
    order = freezes.create_freeze(
        db.session,
        act("police_officer"),
        item_id=item.id,
        asset_type=FreezeAssetType.DEPOSIT,
        institution=institution,
        account_no=account_no,
        amount_fen=amount,
        start_on=kw.pop("start_on", app_clock.today()),
        notice_doc_no=kw.pop("notice_doc_no", f"协助冻结通知书 {account_no[-4:]}"),
        **kw,
    )
    db.session.commit()
    return order


def a_case_with_frozen_funds():
    case = open_case()
    held = bank_account(case, "6222021001120000001")
    renewed = freeze(held, "6222021001120000001", 1_000_000)
    freezes.renew_freeze(db.session, act("police_officer"), renewed.id, doc_no="继续冻结通知书 1")
    db.session.commit()
    alipay = payment_account(case)
    freeze(alipay, ALIPAY["account_id"], 300_000, institution="支付宝（中国）网络技术有限公司")
    released = bank_account(case, "6222021001120000002")
    gone = freeze(released, "6222021001120000002", 50_000)
    freezes.release_freeze(db.session, act("police_officer"), gone.id, doc_no="解除冻结通知书 2")
    db.session.commit()
    # The same account frozen first in another case: this case's freeze waits in the queue (轮候).
    shared_no = "6222021001120000003"
    freeze(bank_account(open_case(), shared_no), shared_no, 700_000)
    waiting_item = bank_account(case, shared_no)
    waiting = freeze(waiting_item, shared_no, 200_000, queued=True, notice_doc_no="协助冻结通知书 轮候")
    return case, held, alipay, released, waiting_item, waiting


def two_victims():
    """李某 and 王某 of one case; funds short, so the plan shares proportionally."""
    case = funded_case(400_000)
    li, wang = victim(case, "李某", id_no="310115198001011234"), victim(case, "王某")
    claim(case, amount=300_000, who=li)
    claim(case, amount=200_000, who=wang)
    claim(case, klass=ClaimClass.FINE, amount=50_000)  # the state's: no victim
    return case, li, wang
