"""Money as money: the case-money accounts (涉案款专户) and each case's sub-ledger of movements.

Every movement is appended under the ledger's row lock (taken after any item lock, before the log
head), with the balance before and after it; the database refuses a movement that does not continue
the running sum or would overdraw it (custody/models/money.py). The audit event — on the cash
item's history for a deposit, a case event otherwise — is recorded in the same transaction and
carries the movement's after-state (balance included), so a replay of the record alone rebuilds
every balance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import EventCategory, ExternalKind, ItemCategory, LocationState, Measure
from custody.domain.errors import Conflict, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.items import ensure_not_disposed, ensure_not_in_transfer
from custody.domain.money import (
    MONEY_FOLLOWS_CASE,
    OPEN_PLAN,
    MovementKind,
    check_amount,
    check_sufficient,
    check_text,
    owed,
    sign_of,
)
from custody.domain.policy import Action, Relation, require
from custody.models.agency import Agency
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Disposition, DispositionLine
from custody.models.money import (
    MoneyAccount,
    MoneyLedger,
    MoneyMovement,
    RestitutionClaim,
    RestitutionPlan,
)
from custody.models.transfer import Transfer
from custody.orm import utcnow

from .dispositions import case_outcome
from .item_events import append_item_event, item_snapshot
from .storage import custodian_relations, facts
from .visibility import get_case, lock_items

ACCOUNT_PLACE = "涉案款专户"


def _not_found(what: str) -> NotFound:
    return NotFound(N_("Record not found, or not visible to your agency."), code=f"not_found.{what}")


# -- accounts (reference data) ------------------------------------------------------------------


def create_account(
    session: Session,
    actor: Actor | None,
    *,
    agency_id: int,
    bank: str,
    account_no: str,
    account_name: str,
) -> MoneyAccount:
    """登记涉案款专户 — an agency's dedicated account for case money (administrators)."""
    if actor is not None:
        require(actor, Action.MANAGE_MONEY_ACCOUNT)
    texts = check_text(
        {
            "bank": (bank, 100, True),
            "account_no": (account_no, 40, True),
            "account_name": (account_name, 100, True),
        }
    )
    agency = session.get(Agency, agency_id) if isinstance(agency_id, int) else None
    if agency is None:
        raise InvalidInput(N_("Unknown agency."), fields={"agency_id": [N_("Unknown agency.")]})
    number = "".join((texts["account_no"] or "").split())
    if session.scalar(
        select(MoneyAccount.id).where(MoneyAccount.bank == texts["bank"], MoneyAccount.account_no == number)
    ):
        raise Conflict(N_("This account is already registered."), code="money.account_exists")
    account = MoneyAccount(
        agency_id=agency.id, bank=texts["bank"], account_no=number, account_name=texts["account_name"]
    )
    session.add(account)
    session.flush()
    if actor is None:  # seeded reference data (flask custody seed-demo), as accounts.create_agency
        return account
    record_event(
        session,
        category=EventCategory.ADMIN,
        action="money_account.create",
        actor=actor,
        object_type="money_account",
        object_id=account.id,
        data={
            "account_id": account.id,
            "agency_id": agency.id,
            "bank": account.bank,
            "account_no": account.account_no,
            "account_name": account.account_name,
            "is_active": True,
        },
    )
    return account


def set_account_active(session: Session, actor: Actor, account_id: int, active: bool) -> MoneyAccount:
    require(actor, Action.MANAGE_MONEY_ACCOUNT)
    account = session.get(MoneyAccount, account_id)
    if account is None:
        raise _not_found("money_account")
    account.is_active = active
    record_event(
        session,
        category=EventCategory.ADMIN,
        action="money_account.activate" if active else "money_account.close",
        actor=actor,
        object_type="money_account",
        object_id=account.id,
        data={"account_id": account.id, "agency_id": account.agency_id, "is_active": active},
    )
    return account


def accounts(
    session: Session, agency_id: int | None = None, *, active_only: bool = False
) -> list[MoneyAccount]:
    stmt = select(MoneyAccount).order_by(MoneyAccount.agency_id, MoneyAccount.id)
    if agency_id is not None:
        stmt = stmt.where(MoneyAccount.agency_id == agency_id)
    if active_only:
        stmt = stmt.where(MoneyAccount.is_active.is_(True))
    return list(session.scalars(stmt))


def _own_account(session: Session, actor: Actor, account_id: int | None) -> MoneyAccount:
    """The account money is paid into: one of the actor's agency's active accounts (its only one
    when none is named)."""
    if account_id is None:
        own = accounts(session, actor.agency_id, active_only=True)
        if len(own) != 1:
            raise InvalidInput(
                N_("Choose the case-money account."),
                fields={"account_id": [N_("Choose the case-money account.")]},
            )
        return own[0]
    account = session.get(MoneyAccount, account_id) if isinstance(account_id, int) else None
    if account is None or account.agency_id != actor.agency_id or not account.is_active:
        raise InvalidInput(
            N_("Not an active case-money account of your agency."),
            fields={"account_id": [N_("Not an active case-money account of your agency.")]},
        )
    return account


# -- ledgers and the running balance ------------------------------------------------------------


def _ledger_for(
    session: Session, case_id: int, account: MoneyAccount, custodian_agency_id: int
) -> MoneyLedger:
    """The case's ledger in ``account`` (opened on first use), row-locked."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(MoneyLedger)
        .values(
            case_id=case_id,
            account_id=account.id,
            custodian_agency_id=custodian_agency_id,
            opened_at=utcnow(),
            version=1,
        )
        .on_conflict_do_nothing()
    )
    return _lock_ledger_where(session, MoneyLedger.case_id == case_id, MoneyLedger.account_id == account.id)


def _lock_ledger_where(session: Session, *where: Any) -> MoneyLedger:
    ledger = session.scalar(
        select(MoneyLedger)
        .where(*where)
        .with_for_update(of=MoneyLedger)
        .execution_options(populate_existing=True)
    )
    if ledger is None:
        raise _not_found("money_ledger")
    return ledger


def lock_ledger(session: Session, actor: Actor, ledger_id: int) -> MoneyLedger:
    """A visible ledger, row-locked."""
    ledger = _lock_ledger_where(session, MoneyLedger.id == ledger_id)
    get_case(session, actor, ledger.case_id)  # 404 unless the actor may see the case
    return ledger


def get_ledger(session: Session, actor: Actor, ledger_id: int) -> tuple[MoneyLedger, Case]:
    """A case's ledger and the case, when ``actor`` may see the case (else NotFound)."""
    ledger = session.get(MoneyLedger, ledger_id)
    if ledger is None:
        raise _not_found("money_ledger")
    return ledger, get_case(session, actor, ledger.case_id)


def head(session: Session, ledger_id: int) -> tuple[int, int]:
    """(last sequence number, balance) of a ledger: (0, 0) before its first movement."""
    row = session.execute(
        select(MoneyMovement.seq, MoneyMovement.balance_after_fen)
        .where(MoneyMovement.ledger_id == ledger_id)
        .order_by(MoneyMovement.seq.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, 0)


def balance(session: Session, ledger_id: int) -> int:
    return head(session, ledger_id)[1]


def movement_data(movement: MoneyMovement, account: MoneyAccount) -> dict[str, Any]:
    """The movement's complete after-state, as its audit event records it."""
    return {
        "movement_id": movement.id,
        "ledger_id": movement.ledger_id,
        "account_id": account.id,
        "account": account.label,
        "seq": movement.seq,
        "kind": movement.kind,
        "amount_fen": movement.amount_fen,
        "delta_fen": movement.delta_fen,
        "balance_before_fen": movement.balance_before_fen,
        "balance_after_fen": movement.balance_after_fen,
        "custodian_agency_id": movement.custodian_agency_id,
        "from_agency_id": movement.from_agency_id,
        "value_date": movement.value_date,
        "bank": movement.bank,
        "counterparty_account": movement.counterparty_account,
        "reference": movement.reference,
        "item_id": movement.item_id,
        "disposition_id": movement.disposition_id,
        "transfer_id": movement.transfer_id,
        "plan_line_id": movement.plan_line_id,
    }


def _append(
    session: Session,
    actor: Actor,
    ledger: MoneyLedger,
    kind: MovementKind,
    amount_fen: int,
    *,
    value_date: date,
    custodian_agency_id: int | None = None,
    **fields: Any,
) -> MoneyMovement:
    """Append one movement to a ledger the caller holds locked. An outflow never exceeds the balance."""
    seq, before = head(session, ledger.id)
    if sign_of(kind) < 0:
        check_sufficient(before, amount_fen)
    delta = sign_of(kind) * amount_fen
    movement = MoneyMovement(
        ledger_id=ledger.id,
        seq=seq + 1,
        prev_seq=seq or None,
        kind=kind,
        delta_fen=delta,
        balance_before_fen=before,
        balance_after_fen=before + delta,
        case_id=ledger.case_id,
        custodian_agency_id=custodian_agency_id or ledger.custodian_agency_id,
        value_date=value_date,
        recorded_by_id=actor.user_id,
        recorded_at=utcnow(),
        **fields,
    )
    session.add(movement)
    session.flush()
    return movement


def _case_event(
    session: Session, actor: Actor, movement: MoneyMovement, account: MoneyAccount, **extra: Any
) -> None:
    record_event(
        session,
        category=EventCategory.CUSTODY,
        action=f"money.{movement.kind.value}",
        actor=actor,
        object_type="money_movement",
        object_id=movement.id,
        case_id=movement.case_id,
        reason=movement.note,
        data={**movement_data(movement, account), **extra},
    )


def _value_date(value: date | None, *, earliest: date | None = None) -> date:
    today = local_date(utcnow())
    if value is None:
        return today
    if value > today:
        raise InvalidInput(N_("In the future."), fields={"value_date": [N_("In the future.")]})
    if earliest is not None and value < earliest:
        raise InvalidInput(
            N_("Before the money was seized."), fields={"value_date": [N_("Before the money was seized.")]}
        )
    return value


def _require_ledger_custodian(actor: Actor, action: Action, ledger: MoneyLedger) -> None:
    require(actor, action, {Relation.CUSTODIAN} if ledger.custodian_agency_id == actor.agency_id else set())


# -- money in ------------------------------------------------------------------------------------


def paid_in_movement(session: Session, item_id: int) -> MoneyMovement | None:
    """The movement that paid this cash item (or sale proceeds entry) into an account, if any."""
    return session.scalar(
        select(MoneyMovement).where(
            MoneyMovement.item_id == item_id,
            MoneyMovement.kind.in_((MovementKind.DEPOSIT, MovementKind.PROCEEDS)),
        )
    )


@dataclass(frozen=True)
class Slip:
    """The bank slip (存款凭证): the paying-in bank and account, the slip number."""

    slip_no: str
    bank: str | None = None
    payer_account: str | None = None
    payer_name: str | None = None


def _slip_fields(slip: Slip, *, reference_field: str = "slip_no") -> dict[str, Any]:
    texts = check_text(
        {
            reference_field: (slip.slip_no, 64, True),
            "bank": (slip.bank, 100, False),
            "payer_account": (slip.payer_account, 40, False),
            "payer_name": (slip.payer_name, 100, False),
        }
    )
    return {
        "reference": texts[reference_field],
        "bank": texts["bank"],
        "counterparty_account": texts["payer_account"],
        "counterparty_name": texts["payer_name"],
    }


def _proceeds_of(session: Session, item: Item) -> int | None:
    """The disposal whose sale proceeds this case-money entry is (None for seized cash)."""
    return session.scalar(
        select(DispositionLine.disposition_id).where(DispositionLine.proceeds_item_id == item.id).limit(1)
    )


def deposit_cash(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    amount_fen: Any,
    slip: Slip,
    account_id: int | None = None,
    value_date: date | None = None,
    note: str | None = None,
) -> MoneyMovement:
    """存入专户 — seized cash (or an early sale's proceeds entry) is paid into the agency's case-money
    account with the bank slip. The item then shows as deposited, and its value as the balance.

    The amount is the item's counted amount; a different amount (the bank found a counterfeit note)
    needs a note saying why."""
    [item] = lock_items(session, actor, [item_id])
    require(actor, Action.RECORD_MONEY, custodian_relations(actor, item))
    amount = check_amount(amount_fen)
    if item.category is not ItemCategory.CASH:
        raise Conflict(N_("Only cash and sale proceeds are paid into the account."), code="money.not_cash")
    ensure_not_disposed(facts(item))
    ensure_not_in_transfer(facts(item))
    if item.location_state is LocationState.CHECKED_OUT:
        raise Conflict(N_("A checked-out item must be returned first."), code="item.checked_out")
    if paid_in_movement(session, item.id) is not None:
        raise Conflict(N_("This money is already in the account."), code="money.already_deposited")
    place = (item.details or {}).get("account")
    if place and place != ACCOUNT_PLACE:
        # [LAW] 程序规定 art. 246 ¶2: the price of sold securities stays frozen in the matching account.
        raise Conflict(
            N_(
                "These proceeds stay frozen in the original account; they are not paid into the case-money account."
            ),
            code="money.stays_frozen",
        )
    counted = (item.details or {}).get("amount_fen")
    text = check_text({"note": (note, 500, False)})
    if isinstance(counted, int) and counted != amount and not text["note"]:
        raise InvalidInput(
            N_(
                "The amount differs from the amount counted at seizure (%(counted)s fen): say why in the note."
            ),
            fields={"note": [N_("Say why the amount differs.")]},
            counted=counted,
        )
    account = _own_account(session, actor, account_id)
    when = _value_date(value_date, earliest=local_date(item.seized_at))
    fields = _slip_fields(slip)
    ledger = _ledger_for(session, item.case_id, account, actor.agency_id)
    if ledger.custodian_agency_id != actor.agency_id:
        raise Conflict(
            N_("The case's money in this account is held by another agency."),
            code="money.ledger_other_custodian",
        )
    disposition_id = _proceeds_of(session, item)
    kind = (
        MovementKind.PROCEEDS if disposition_id is not None or item.source_item_id else MovementKind.DEPOSIT
    )
    movement = _append(
        session,
        actor,
        ledger,
        kind,
        amount,
        value_date=when,
        item_id=item.id,
        disposition_id=disposition_id,
        note=text["note"],
        **fields,
    )
    before = item_snapshot(item)
    item.location_state = LocationState.EXTERNAL
    item.external_kind = ExternalKind.BANK
    item.external_place = f"{ACCOUNT_PLACE} {account.label}"
    item.storage_location = None
    append_item_event(
        session,
        item,
        actor,
        f"money.{kind.value}",
        before=before,
        reason=text["note"],
        data={**movement_data(movement, account), **_sale_parts(session, disposition_id)},
    )
    return movement


def _sale_parts(session: Session, disposition_id: int | None) -> dict[str, Any]:
    """A sale's proceeds movement names each sold item's part (the auction's price or its share of
    the lot by appraised value) and the auction lot, so the sub-ledger traces every 分 to an item."""
    if disposition_id is None:
        return {}
    disposition = session.get(Disposition, disposition_id)
    if disposition is None:
        return {}
    parts = [
        {"item_id": line.item_id, "label_code": line.item.label_code, "proceeds_fen": line.proceeds_fen}
        for line in sorted(disposition.lines, key=lambda line: line.item_id)
    ]
    return {
        "sale_parts": parts,
        "auction_ref": disposition.lot_auction_ref,
        "lot_split": disposition.lot_split,
    }


def record_interest(
    session: Session,
    actor: Actor,
    ledger_id: int,
    *,
    amount_fen: Any,
    reference: str,
    value_date: date | None = None,
    note: str | None = None,
) -> MoneyMovement:
    """孳息 — interest the bank credited on the case's money (刑诉法 245: property "及其孳息")."""
    ledger = lock_ledger(session, actor, ledger_id)
    _require_ledger_custodian(actor, Action.RECORD_MONEY, ledger)
    amount = check_amount(amount_fen)
    texts = check_text({"reference": (reference, 64, True), "note": (note, 500, False)})
    movement = _append(
        session,
        actor,
        ledger,
        MovementKind.INTEREST,
        amount,
        value_date=_value_date(value_date),
        reference=texts["reference"],
        bank=ledger.account.bank,
        note=texts["note"],
    )
    _case_event(session, actor, movement, ledger.account)
    return movement


def _require_decided(session: Session, case_id: int) -> str:
    outcome = case_outcome(session, case_id)
    if not outcome.decided:
        raise Conflict(
            N_("The case has no effective judgment or closing decision on record yet."),
            code="money.case_not_decided",
        )
    return outcome.judgment_no or outcome.closing_decision or ""


def record_deduction(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    amount_fen: Any,
    slip: Slip,
    account_id: int | None = None,
    value_date: date | None = None,
    note: str | None = None,
) -> MoneyMovement:
    """扣划 — after the judgment, money in a frozen account (the item) is transferred into the agency's
    case-money account; the bank's transfer slip is recorded."""
    [item] = lock_items(session, actor, [item_id])
    require(actor, Action.RECORD_MONEY, custodian_relations(actor, item))
    amount = check_amount(amount_fen)
    if item.measure is not Measure.FROZEN or item.category not in (
        ItemCategory.BANK_ACCOUNT,
        ItemCategory.SECURITIES,
        ItemCategory.PAYMENT_ACCOUNT,
    ):
        raise Conflict(N_("Only a frozen account can be deducted from."), code="money.not_frozen_account")
    ensure_not_disposed(facts(item))
    ensure_not_in_transfer(facts(item))
    basis = _require_decided(session, item.case_id)
    account = _own_account(session, actor, account_id)
    text = check_text({"note": (note, 500, False)})
    fields = _slip_fields(slip)
    ledger = _ledger_for(session, item.case_id, account, actor.agency_id)
    if ledger.custodian_agency_id != actor.agency_id:
        raise Conflict(
            N_("The case's money in this account is held by another agency."),
            code="money.ledger_other_custodian",
        )
    movement = _append(
        session,
        actor,
        ledger,
        MovementKind.DEDUCTION,
        amount,
        value_date=_value_date(value_date),
        item_id=item.id,
        note=text["note"],
        **fields,
    )
    append_item_event(
        session,
        item,
        actor,
        "money.deduction",
        reason=text["note"],
        data={**movement_data(movement, account), "legal_basis": basis},
    )
    return movement


def record_refund(
    session: Session,
    actor: Actor,
    ledger_id: int,
    *,
    amount_fen: Any,
    reference: str,
    value_date: date | None = None,
    note: str | None = None,
) -> MoneyMovement:
    """退库 — money remitted to the treasury comes back for a late claim proven true (2021解释 445 ¶3);
    it is then paid out under a restitution plan."""
    ledger = lock_ledger(session, actor, ledger_id)
    _require_ledger_custodian(actor, Action.RECORD_MONEY, ledger)
    amount = check_amount(amount_fen)
    texts = check_text({"reference": (reference, 64, True), "note": (note, 500, True)})
    remitted = session.scalar(
        select(func.coalesce(func.sum(-MoneyMovement.delta_fen), 0)).where(
            MoneyMovement.ledger_id == ledger.id, MoneyMovement.kind == MovementKind.REMITTANCE
        )
    )
    refunded = session.scalar(
        select(func.coalesce(func.sum(MoneyMovement.delta_fen), 0)).where(
            MoneyMovement.ledger_id == ledger.id, MoneyMovement.kind == MovementKind.REFUND
        )
    )
    if amount > (remitted or 0) - (refunded or 0):
        raise Conflict(
            N_("A refund cannot exceed what this ledger remitted to the treasury."),
            code="money.refund_exceeds",
        )
    movement = _append(
        session,
        actor,
        ledger,
        MovementKind.REFUND,
        amount,
        value_date=_value_date(value_date),
        reference=texts["reference"],
        note=texts["note"],
    )
    _case_event(session, actor, movement, ledger.account)
    return movement


# -- money out -----------------------------------------------------------------------------------


def owed_to_victims(session: Session, case_id: int) -> int:
    """What victims are still owed: the judgment's payments to victims not yet executed when the
    judgment orders amounts (services/restitution: the orders are then the plan's claims), otherwise
    the case's confirmed private claims (medical, losses, civil debts) still owed."""
    from custody.domain.judgment_orders import OrderKind, OrderStatus
    from custody.domain.money import STATE_CLASSES
    from custody.models.oversight import JudgmentOrder

    money_orders = select(JudgmentOrder.id).where(
        JudgmentOrder.case_id == case_id,
        JudgmentOrder.amount_fen.is_not(None),
        JudgmentOrder.kind.in_((OrderKind.PAY_VICTIM, OrderKind.CONFISCATE)),
    )
    if session.scalar(money_orders.limit(1)) is not None:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(JudgmentOrder.amount_fen), 0)).where(
                    JudgmentOrder.case_id == case_id,
                    JudgmentOrder.kind == OrderKind.PAY_VICTIM,
                    JudgmentOrder.amount_fen.is_not(None),
                    JudgmentOrder.status.in_((OrderStatus.OPEN, OrderStatus.PROPOSED)),
                )
            )
            or 0
        )

    rows = session.execute(
        select(
            RestitutionClaim.confirmed_fen, RestitutionClaim.compensated_fen, RestitutionClaim.paid_fen
        ).where(RestitutionClaim.case_id == case_id, RestitutionClaim.klass.not_in(STATE_CLASSES))
    )
    return sum(owed(c, comp, paid) for c, comp, paid in rows)


def open_plan(session: Session, case_id: int, agency_id: int) -> RestitutionPlan | None:
    return session.scalar(
        select(RestitutionPlan).where(
            RestitutionPlan.case_id == case_id,
            RestitutionPlan.agency_id == agency_id,
            RestitutionPlan.status.in_(OPEN_PLAN),
        )
    )


def remit_to_treasury(
    session: Session,
    actor: Actor,
    ledger_id: int,
    *,
    amount_fen: Any,
    payment_form_no: str,
    value_date: date | None = None,
    note: str | None = None,
) -> MoneyMovement:
    """上缴国库 — a decided case's money goes to the treasury with the payment form (缴款书) number.
    Victims come first (刑诉法 245 ¶4): while a victim is owed anything, or a restitution plan is open,
    money leaves only under the plan."""
    ledger = lock_ledger(session, actor, ledger_id)
    _require_ledger_custodian(actor, Action.REMIT_MONEY, ledger)
    amount = check_amount(amount_fen)
    texts = check_text({"payment_form_no": (payment_form_no, 64, True), "note": (note, 500, False)})
    basis = _require_decided(session, ledger.case_id)
    if open_plan(session, ledger.case_id, ledger.custodian_agency_id) is not None or owed_to_victims(
        session, ledger.case_id
    ):
        raise Conflict(
            N_("Victims are still owed money: pay them under a restitution plan first."),
            code="money.victims_first",
        )
    movement = _append(
        session,
        actor,
        ledger,
        MovementKind.REMITTANCE,
        amount,
        value_date=_value_date(value_date),
        reference=texts["payment_form_no"],
        counterparty_name="国库",
        note=texts["note"],
    )
    _case_event(session, actor, movement, ledger.account, legal_basis=basis)
    return movement


def pay_out(
    session: Session,
    actor: Actor,
    ledgers: list[MoneyLedger],
    kind: MovementKind,
    amount_fen: int,
    *,
    value_date: date,
    **fields: Any,
) -> list[MoneyMovement]:
    """Take ``amount_fen`` from the locked ``ledgers`` in order (one movement per ledger touched).
    Refused before anything is written when their balances together do not cover it."""
    balances = [(ledger, balance(session, ledger.id)) for ledger in ledgers]
    check_sufficient(sum(b for _, b in balances), amount_fen)
    movements = []
    left = amount_fen
    for ledger, available in balances:
        part = min(left, available)
        if part <= 0:
            continue
        movement = _append(session, actor, ledger, kind, part, value_date=value_date, **fields)
        _case_event(session, actor, movement, ledger.account)
        movements.append(movement)
        left -= part
        if not left:
            break
    return movements


# -- the money follows the case -----------------------------------------------------------------


def follow_case(session: Session, actor: Actor, case: Case, transfer: Transfer) -> list[MoneyMovement]:
    """随案移交 — when the receiver signs for the case, the sender's balances of the case move to it by
    record: the money stays in the bank, the custodian changes (one TRANSFER movement per ledger).
    Called by services/transfers with the case and transfer locked."""
    if transfer.kind not in MONEY_FOLLOWS_CASE:
        return []
    ids = list(
        session.scalars(
            select(MoneyLedger.id)
            .where(MoneyLedger.case_id == case.id, MoneyLedger.custodian_agency_id == transfer.from_agency_id)
            .order_by(MoneyLedger.id)
        )
    )
    moved = []
    for ledger_id in ids:
        ledger = _lock_ledger_where(session, MoneyLedger.id == ledger_id)
        if ledger.custodian_agency_id != transfer.from_agency_id or balance(session, ledger.id) == 0:
            continue
        ledger.custodian_agency_id = transfer.to_agency_id
        movement = _append(
            session,
            actor,
            ledger,
            MovementKind.TRANSFER,
            0,
            value_date=local_date(utcnow()),
            custodian_agency_id=transfer.to_agency_id,
            from_agency_id=transfer.from_agency_id,
            transfer_id=transfer.id,
            reference=transfer.transfer_no,
        )
        _case_event(session, actor, movement, ledger.account, transfer_no=transfer.transfer_no)
        moved.append(movement)
    return moved


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerBalance:
    ledger: MoneyLedger
    balance_fen: int
    movements: int


def case_ledgers(session: Session, actor: Actor, case_id: int) -> list[LedgerBalance]:
    """The case's ledgers with their balances (the last movement's balance_after)."""
    get_case(session, actor, case_id)
    ledgers = list(
        session.scalars(select(MoneyLedger).where(MoneyLedger.case_id == case_id).order_by(MoneyLedger.id))
    )
    result = []
    for ledger in ledgers:
        seq, bal = head(session, ledger.id)
        result.append(LedgerBalance(ledger, bal, seq))
    return result


def case_balance(session: Session, actor: Actor, case_id: int, agency_id: int | None = None) -> int:
    return sum(
        lb.balance_fen
        for lb in case_ledgers(session, actor, case_id)
        if agency_id is None or lb.ledger.custodian_agency_id == agency_id
    )


def movements_query(case_id: int, *, ledger_id: int | None = None, newest_first: bool = False) -> Select[Any]:
    """The case's movements in the order recorded (ids grow with time), or newest first."""
    stmt = select(MoneyMovement).where(MoneyMovement.case_id == case_id)
    if ledger_id is not None:
        stmt = stmt.where(MoneyMovement.ledger_id == ledger_id)
    return stmt.order_by(MoneyMovement.id.desc() if newest_first else MoneyMovement.id)


def case_movements(
    session: Session, actor: Actor, case_id: int, *, ledger_id: int | None = None
) -> list[MoneyMovement]:
    get_case(session, actor, case_id)
    return list(session.scalars(movements_query(case_id, ledger_id=ledger_id)))


def held_ledgers(session: Session, case_id: int, agency_id: int) -> list[MoneyLedger]:
    """The case's ledgers an agency holds, locked in id order (payments draw from them in that order)."""
    ids = session.scalars(
        select(MoneyLedger.id)
        .where(MoneyLedger.case_id == case_id, MoneyLedger.custodian_agency_id == agency_id)
        .order_by(MoneyLedger.id)
    )
    return [_lock_ledger_where(session, MoneyLedger.id == i) for i in list(ids)]


def ledger_ids(ledgers: Iterable[MoneyLedger]) -> list[int]:
    return [ledger.id for ledger in ledgers]


# -- statistics ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFlow:
    month: str  # "2026-03"
    in_fen: int
    out_fen: int


@dataclass(frozen=True)
class AgencyBalance:
    agency_id: int
    name: str
    balance_fen: int
    ledgers: int


@dataclass(frozen=True)
class MoneyStatistics:
    """Money over the cases the actor may see: balances by custodian, flows by month (by the bank's
    date), what victims are still owed, seized cash not yet paid in, and the balance of decided
    cases awaiting remittance to the treasury."""

    total_balance_fen: int
    by_custodian: list[AgencyBalance]
    flows_by_month: list[MonthFlow]
    owed_to_victims_fen: int
    open_plans: int
    undeposited_count: int
    undeposited_fen: int
    # Decided cases whose money has nobody left to pay (no victim owed, no plan open): their balance
    # should go to the treasury (刑诉法 245 ¶4: 除依法返还被害人的以外，一律上缴国库).
    awaiting_remittance_cases: int = 0
    awaiting_remittance_fen: int = 0


def money_statistics(session: Session, actor: Actor, *, months: int = 12) -> MoneyStatistics:
    from sqlalchemy import case as when
    from sqlalchemy import extract

    from custody.domain.judgment_orders import OrderKind, OrderStatus
    from custody.domain.money import STATE_CLASSES
    from custody.domain.policy import Action
    from custody.models.lifecycle import DispositionLine
    from custody.models.oversight import CaseClosure, CaseJudgment, JudgmentOrder

    from .cases import item_value_fen
    from .visibility import case_filter

    require(actor, Action.VIEW_STATISTICS)
    visible = select(Case.id).where(case_filter(actor))
    last = (
        select(func.max(MoneyMovement.seq))
        .where(MoneyMovement.ledger_id == MoneyLedger.id)
        .correlate(MoneyLedger)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Agency.id, Agency.name, func.sum(MoneyMovement.balance_after_fen), func.count(MoneyLedger.id))
        .select_from(MoneyLedger)
        .join(MoneyMovement, (MoneyMovement.ledger_id == MoneyLedger.id) & (MoneyMovement.seq == last))
        .join(Agency, Agency.id == MoneyLedger.custodian_agency_id)
        .where(MoneyLedger.case_id.in_(visible))
        .group_by(Agency.id, Agency.name)
        .order_by(Agency.id)
    ).all()
    by_custodian = [AgencyBalance(r[0], r[1], int(r[2] or 0), int(r[3])) for r in rows]
    today = local_date(utcnow())
    first_year, first_month_no = today.year, today.month - (months - 1)
    while first_month_no <= 0:
        first_month_no += 12
        first_year -= 1
    first_month = date(first_year, first_month_no, 1)
    year, month = extract("year", MoneyMovement.value_date), extract("month", MoneyMovement.value_date)
    flows = session.execute(
        select(
            year,
            month,
            func.sum(when((MoneyMovement.delta_fen > 0, MoneyMovement.delta_fen), else_=0)),
            func.sum(when((MoneyMovement.delta_fen < 0, -MoneyMovement.delta_fen), else_=0)),
        )
        .where(MoneyMovement.case_id.in_(visible), MoneyMovement.value_date >= first_month)
        .group_by(year, month)
        .order_by(year, month)
    ).all()
    # What victims are owed, as owed_to_victims counts it per case: the judgment's payments to victims
    # not yet executed where the judgment orders amounts, else the confirmed claims still owed.
    has_money_orders = (
        select(JudgmentOrder.id)
        .where(
            JudgmentOrder.case_id == Case.id,
            JudgmentOrder.amount_fen.is_not(None),
            JudgmentOrder.kind.in_((OrderKind.PAY_VICTIM, OrderKind.CONFISCATE)),
        )
        .exists()
    )
    victim_order_open = (
        (JudgmentOrder.kind == OrderKind.PAY_VICTIM)
        & JudgmentOrder.amount_fen.is_not(None)
        & JudgmentOrder.status.in_((OrderStatus.OPEN, OrderStatus.PROPOSED))
    )
    claim_owed = RestitutionClaim.confirmed_fen - RestitutionClaim.compensated_fen - RestitutionClaim.paid_fen
    claim_is_owed = (
        RestitutionClaim.klass.not_in(STATE_CLASSES)
        & RestitutionClaim.confirmed_fen.is_not(None)
        & (claim_owed > 0)
    )
    claims_path = select(Case.id).where(Case.id.in_(visible), ~has_money_orders)
    owed_total = int(
        session.scalar(
            select(func.coalesce(func.sum(claim_owed), 0)).where(
                RestitutionClaim.case_id.in_(claims_path), claim_is_owed
            )
        )
        or 0
    ) + int(
        session.scalar(
            select(func.coalesce(func.sum(JudgmentOrder.amount_fen), 0)).where(
                JudgmentOrder.case_id.in_(visible), victim_order_open
            )
        )
        or 0
    )
    # Awaiting remittance: decided cases (judgment or closing decision on record), no restitution plan
    # open, and nobody owed — then what their ledgers hold should go to the treasury.
    nobody_owed = (
        has_money_orders
        & ~select(JudgmentOrder.id).where(JudgmentOrder.case_id == Case.id, victim_order_open).exists()
    ) | (
        ~has_money_orders
        & ~select(RestitutionClaim.id).where(RestitutionClaim.case_id == Case.id, claim_is_owed).exists()
    )
    awaiting_cases = select(Case.id).where(
        Case.id.in_(visible),
        select(CaseJudgment.id).where(CaseJudgment.case_id == Case.id).exists()
        | select(CaseClosure.id).where(CaseClosure.case_id == Case.id).exists(),
        ~select(RestitutionPlan.id)
        .where(RestitutionPlan.case_id == Case.id, RestitutionPlan.status.in_(OPEN_PLAN))
        .exists(),
        nobody_owed,
    )
    awaiting = session.execute(
        select(
            func.count(func.distinct(MoneyLedger.case_id)),
            func.coalesce(func.sum(MoneyMovement.balance_after_fen), 0),
        )
        .select_from(MoneyLedger)
        .join(MoneyMovement, (MoneyMovement.ledger_id == MoneyLedger.id) & (MoneyMovement.seq == last))
        .where(MoneyLedger.case_id.in_(awaiting_cases), MoneyMovement.balance_after_fen > 0)
    ).one()
    open_plans = session.scalar(
        select(func.count())
        .select_from(RestitutionPlan)
        .where(RestitutionPlan.case_id.in_(visible), RestitutionPlan.status.in_(OPEN_PLAN))
    )
    undeposited = session.execute(
        select(func.count(Item.id), func.coalesce(func.sum(item_value_fen()), 0)).where(
            Item.case_id.in_(visible),
            Item.category == ItemCategory.CASH,
            Item.source_item_id.is_(None),
            Item.location_state != LocationState.GONE,
            ~select(DispositionLine.id).where(DispositionLine.proceeds_item_id == Item.id).exists(),
            ~select(MoneyMovement.id)
            .where(
                MoneyMovement.item_id == Item.id,
                MoneyMovement.kind.in_((MovementKind.DEPOSIT, MovementKind.PROCEEDS)),
            )
            .exists(),
        )
    ).one()
    return MoneyStatistics(
        total_balance_fen=sum(b.balance_fen for b in by_custodian),
        by_custodian=by_custodian,
        flows_by_month=[
            MonthFlow(f"{int(y):04d}-{int(m):02d}", int(i or 0), int(o or 0)) for y, m, i, o in flows
        ],
        owed_to_victims_fen=owed_total,
        open_plans=int(open_plans or 0),
        undeposited_count=int(undeposited[0]),
        undeposited_fen=int(undeposited[1] or 0),
        awaiting_remittance_cases=int(awaiting[0] or 0),
        awaiting_remittance_fen=int(awaiting[1] or 0),
    )
