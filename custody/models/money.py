"""Money as money: the case-money accounts (涉案款专户), each case's sub-ledger, victims and
restitution plans.

The balance is never stored as a number someone could set: each movement carries the balance
before and after it, and the database itself ties them together (migration 0040):

* ``balance_after = balance_before + delta`` and ``balance_after >= 0`` (CHECKs);
* the first movement of a ledger starts from 0, every other one from the movement just before it:
  ``(ledger_id, prev_seq, balance_before)`` is a foreign key to ``(ledger_id, seq, balance_after)``
  with ``prev_seq = seq - 1`` (CHECK), so a movement cannot claim a balance its predecessor did not
  leave;
* ``(ledger_id, seq)`` is unique, so two writers that read the same last movement cannot both
  append after it;
* UPDATE and DELETE are refused by triggers on both engines.

So the balance (the last movement's ``balance_after``) is always the sum of the movements, and an
overdraft cannot be written even by SQL that bypasses the application.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.domain.money import (
    ClaimClass,
    LineKind,
    LineStatus,
    MovementKind,
    PlanStatus,
    direction_sql,
)
from custody.orm import Base, BigId, str_enum, utcnow

from .agency import Agency
from .case import Case


class MoneyAccount(Base):
    """涉案款专户 (唯一合规账户) — an agency's dedicated bank account for case money."""

    __tablename__ = "money_account"
    __table_args__ = (UniqueConstraint("bank", "account_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    bank: Mapped[str] = mapped_column(String(100))
    account_no: Mapped[str] = mapped_column(String(40))
    account_name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return f"{self.bank} {self.account_no}"


class MoneyLedger(Base):
    """A case's money in one account (分户账): its movements' running balance. The custodian is the
    agency legally responsible for it; a transfer with the case changes the custodian, not the bank."""

    __tablename__ = "money_ledger"
    __table_args__ = (UniqueConstraint("case_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("money_account.id"), index=True)
    custodian_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()
    account: Mapped[MoneyAccount] = relationship(lazy="joined")
    custodian_agency: Mapped[Agency] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class MoneyMovement(Base):
    """One line of a sub-ledger. Append-only; the balance chain is enforced by the database."""

    __tablename__ = "money_movement"
    __table_args__ = (
        UniqueConstraint("ledger_id", "seq"),
        UniqueConstraint("ledger_id", "seq", "balance_after_fen"),
        ForeignKeyConstraint(
            ["ledger_id", "prev_seq", "balance_before_fen"],
            ["money_movement.ledger_id", "money_movement.seq", "money_movement.balance_after_fen"],
            name="fk_money_movement_previous",
        ),
        CheckConstraint(
            "(seq = 1 AND prev_seq IS NULL AND balance_before_fen = 0) OR (seq > 1 AND prev_seq = seq - 1)",
            name="chain",
        ),
        CheckConstraint("balance_after_fen = balance_before_fen + delta_fen", name="running_sum"),
        CheckConstraint("balance_after_fen >= 0", name="not_overdrawn"),
        CheckConstraint(direction_sql(), name="direction"),
        CheckConstraint("delta_fen BETWEEN -10000000000000 AND 10000000000000", name="amount_bound"),
        # The case's sub-ledger, newest first, a page at a time: an index walk, whatever the case's size.
        Index("ix_money_movement_case_id_id", "case_id", "id"),
        # A cash item (or a sale's proceeds entry) is paid in once.
        Index(
            "uq_money_movement_item_paid_in",
            "item_id",
            unique=True,
            sqlite_where=text("kind IN ('deposit', 'proceeds')"),
            postgresql_where=text("kind IN ('deposit', 'proceeds')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("money_ledger.id"), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_seq: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind), index=True)
    delta_fen: Mapped[int] = mapped_column(BigInteger)
    balance_before_fen: Mapped[int] = mapped_column(BigInteger)
    balance_after_fen: Mapped[int] = mapped_column(BigInteger)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"))
    custodian_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))  # after this movement
    value_date: Mapped[date]  # the bank's booking date (slip, statement, 缴款书)
    # The bank slip / statement: the other side's bank and account, the slip or document number.
    bank: Mapped[str | None] = mapped_column(String(100))
    counterparty_account: Mapped[str | None] = mapped_column(String(40))
    counterparty_name: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(64), index=True)  # slip / 缴款书 / receipt no.
    note: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    disposition_id: Mapped[int | None] = mapped_column(ForeignKey("disposition.id"))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfer.id"))
    plan_line_id: Mapped[int | None] = mapped_column(ForeignKey("restitution_line.id"), index=True)
    from_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))  # a transfer's sender
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    ledger: Mapped[MoneyLedger] = relationship(lazy="joined")

    @property
    def amount_fen(self) -> int:
        return abs(self.delta_fen)


class Victim(Base):
    """被害人 (or another creditor of the judgment) of a case. Personal data: shown to the agencies
    of the case only; the audit record holds ids and amounts, never the name."""

    __tablename__ = "victim"
    __table_args__ = (Index("ix_victim_lookup_no", "lookup_no", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_no: Mapped[str | None] = mapped_column(String(32))
    contact: Mapped[str | None] = mapped_column(String(64))
    payee_bank: Mapped[str | None] = mapped_column(String(100))
    payee_account: Mapped[str | None] = mapped_column(String(40))
    # 被害人查询: the number and code given to the victim to look up their own restitution status
    # (services/owner_lookup.victim_lookup); like a seizure list's holder code, never in an event.
    lookup_no: Mapped[str | None] = mapped_column(String(32))
    lookup_code: Mapped[str | None] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    claims: Mapped[list[RestitutionClaim]] = relationship(
        back_populates="victim", order_by="RestitutionClaim.id", lazy="selectin"
    )


class RestitutionClaim(Base):
    """A claim on the case's money, in one class of 2014规定 art. 13: a victim's medical costs, loss,
    another civil debt — or the state's fine or confiscation (no victim)."""

    __tablename__ = "restitution_claim"
    __table_args__ = (
        CheckConstraint("claimed_fen > 0", name="claimed_positive"),
        CheckConstraint("confirmed_fen IS NULL OR confirmed_fen > 0", name="confirmed_positive"),
        CheckConstraint("compensated_fen >= 0", name="compensated_not_negative"),
        CheckConstraint("paid_fen >= 0", name="paid_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    victim_id: Mapped[int | None] = mapped_column(ForeignKey("victim.id"), index=True)
    klass: Mapped[ClaimClass] = mapped_column(str_enum(ClaimClass))
    claimed_fen: Mapped[int] = mapped_column(BigInteger)
    confirmed_fen: Mapped[int | None] = mapped_column(BigInteger)  # as the judgment states it
    compensated_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # received elsewhere
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # paid from the case's money
    basis: Mapped[str | None] = mapped_column(String(200))  # the judgment's item or document
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    victim: Mapped[Victim | None] = relationship(back_populates="claims")

    __mapper_args__ = {"version_id_col": version}


class RestitutionPlan(Base):
    """返还（退赔）方案 — how the money one agency holds for a case is shared out, generated by rule,
    approved by another person, then paid line by line with receipts."""

    __tablename__ = "restitution_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_no: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    funds_fen: Mapped[int] = mapped_column(BigInteger)
    remainder_fen: Mapped[int] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(32))
    legal_basis: Mapped[str | None] = mapped_column(String(200))  # the judgment / decision number
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    rejected_reason: Mapped[str | None] = mapped_column(String(500))
    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    agency: Mapped[Agency] = relationship(lazy="joined")
    lines: Mapped[list[RestitutionLine]] = relationship(
        back_populates="plan", order_by="RestitutionLine.line_no", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class RestitutionLine(Base):
    __tablename__ = "restitution_line"
    __table_args__ = (
        UniqueConstraint("plan_id", "line_no"),
        # Never more than owed (the remainder line owes the treasury exactly what is left).
        CheckConstraint("allocated_fen >= 0 AND allocated_fen <= owed_fen", name="bounded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("restitution_plan.id"), index=True)
    line_no: Mapped[int]
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("restitution_claim.id"))
    # The judgment's order of money this line pays (a plan generated from the orders) [DESIGN].
    order_id: Mapped[int | None] = mapped_column(ForeignKey("judgment_order.id"), index=True)
    klass: Mapped[ClaimClass | None] = mapped_column(str_enum(ClaimClass))
    owed_fen: Mapped[int] = mapped_column(BigInteger)
    allocated_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[LineStatus] = mapped_column(str_enum(LineStatus))
    receipt_no: Mapped[str | None] = mapped_column(String(64))  # 领款凭证 / 缴款书
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    plan: Mapped[RestitutionPlan] = relationship(back_populates="lines")
    claim: Mapped[RestitutionClaim | None] = relationship(lazy="joined")
    order: Mapped[Any] = relationship("JudgmentOrder")


# -- bank-statement reconciliation (对账) [DESIGN] -------------------------------------------------


class BankStatement(Base):
    """An imported bank statement of one case-money account: the file's SHA-256 (a file is imported
    once per account), the period its lines cover and who imported it."""

    __tablename__ = "bank_statement"
    __table_args__ = (UniqueConstraint("account_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("money_account.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    period_from: Mapped[date]
    period_to: Mapped[date]
    line_count: Mapped[int]
    credits_fen: Mapped[int] = mapped_column(BigInteger)
    debits_fen: Mapped[int] = mapped_column(BigInteger)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[MoneyAccount] = relationship(lazy="joined")
    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", order_by="StatementLine.row_no", lazy="selectin"
    )


class StatementLine(Base):
    """One line of a bank statement: matched to at most one movement (and a movement to at most one
    line, over every statement), or resolved by a keeper with a reason."""

    __tablename__ = "statement_line"
    __table_args__ = (
        UniqueConstraint("statement_id", "row_no"),
        CheckConstraint("amount_fen <> 0", name="not_zero"),
        CheckConstraint("amount_fen BETWEEN -10000000000000 AND 10000000000000", name="amount_bound"),
        CheckConstraint("movement_id IS NULL OR resolution IS NULL", name="matched_or_resolved"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id"), index=True)
    row_no: Mapped[int]  # the row number in the file, as the spreadsheet shows it
    value_date: Mapped[date]
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # credits positive, debits negative
    counterparty: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(64))
    movement_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("money_movement.id"), unique=True)
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: automatic
    matched_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(500))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None]

    statement: Mapped[BankStatement] = relationship(back_populates="lines")
    movement: Mapped[MoneyMovement | None] = relationship(lazy="joined")


class MovementResolution(Base):
    """A movement of the account that no line of a statement matches, resolved with a reason for
    that statement (a cheque not yet presented, a slip booked on the next statement…)."""

    __tablename__ = "statement_movement_resolution"
    __table_args__ = (UniqueConstraint("statement_id", "movement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id"), index=True)
    movement_id: Mapped[int] = mapped_column(BigId, ForeignKey("money_movement.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    resolved_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime] = mapped_column(default=utcnow)
