"""Building blocks for money tests: accounts, cash items, deposits."""

from __future__ import annotations

from sqlalchemy import func, select

from custody.domain.enums import ItemCategory
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.money import MoneyAccount, MoneyMovement
from custody.services import money

from .factories import act, agency, register

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
