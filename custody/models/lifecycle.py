"""Workflow records of an item's life after registration: check-outs, disposals, freezes, corrections.

Each record keeps who requested, approved and executed it, when, and why; the items themselves
change only through these records, and each change writes the item's custody event too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.domain.enums import DispositionKind
from custody.domain.lifecycle import (
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
)
from custody.domain.money import LotSplit
from custody.orm import Base, str_enum, utcnow

from .agency import Agency
from .case import Case
from .item import Item


class Counterparty(Base):
    """Someone outside the system an item goes to: a person, a lab, a court, a bank [DESIGN §2]."""

    __tablename__ = "counterparty"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CounterpartyKind] = mapped_column(str_enum(CounterpartyKind))
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))
    id_no: Mapped[str | None] = mapped_column(String(32))
    contact: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Checkout(Base):
    """调用 — items taken out of storage for a legal purpose, to a named counterparty, until a due time."""

    __tablename__ = "checkout"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_no: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    custodian_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    purpose: Mapped[CheckoutPurpose] = mapped_column(str_enum(CheckoutPurpose))
    counterparty_id: Mapped[int] = mapped_column(ForeignKey("counterparty.id"))
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[CheckoutStatus] = mapped_column(str_enum(CheckoutStatus), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    rejected_reason: Mapped[str | None] = mapped_column(String(500))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    released_at: Mapped[datetime | None]
    released_to: Mapped[str | None] = mapped_column(String(100))  # the person who physically took it
    returned_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()
    custodian_agency: Mapped[Agency] = relationship(lazy="joined")
    counterparty: Mapped[Counterparty] = relationship(lazy="joined")
    lines: Mapped[list[CheckoutLine]] = relationship(
        back_populates="checkout", order_by="CheckoutLine.id", lazy="selectin"
    )
    extensions: Mapped[list[CheckoutExtension]] = relationship(
        order_by="CheckoutExtension.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class CheckoutLine(Base):
    __tablename__ = "checkout_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkout.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    returned_at: Mapped[datetime | None]
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    return_condition: Mapped[str | None] = mapped_column(String(500))
    discrepancy: Mapped[Discrepancy | None] = mapped_column(str_enum(Discrepancy))
    discrepancy_note: Mapped[str | None] = mapped_column(String(500))

    checkout: Mapped[Checkout] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")


class CheckoutExtension(Base):
    __tablename__ = "checkout_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkout.id"), index=True)
    previous_due_at: Mapped[datetime]
    requested_due_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[ExtensionStatus] = mapped_column(str_enum(ExtensionStatus))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))


class Disposition(Base):
    """处置 — early sale, pre-trial return or final disposal of items: proposed, approved, executed."""

    __tablename__ = "disposition"

    id: Mapped[int] = mapped_column(primary_key=True)
    disposition_no: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    custodian_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    kind: Mapped[DispositionKind] = mapped_column(str_enum(DispositionKind))
    # Why a final disposal may happen now: the judgment, or a disposal the law orders before it.
    ground: Mapped[DisposalGround | None] = mapped_column(str_enum(DisposalGround))
    legal_basis: Mapped[str | None] = mapped_column(String(200))  # judgment / decision number
    notice_ref: Mapped[str | None] = mapped_column(String(200))  # how the owner was notified
    reason: Mapped[str | None] = mapped_column(Text)
    owner_consent: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[DispositionRecordStatus] = mapped_column(str_enum(DispositionRecordStatus), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    rejected_reason: Mapped[str | None] = mapped_column(String(500))
    executed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    executed_at: Mapped[datetime | None]
    receipt_no: Mapped[str | None] = mapped_column(String(64))  # 执行回单
    witness_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The destruction witness's kind; an external witness is a counterparty (name, ID, organisation).
    witness_kind: Mapped[WitnessKind | None] = mapped_column(str_enum(WitnessKind))
    witness_counterparty_id: Mapped[int | None] = mapped_column(ForeignKey("counterparty.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("counterparty.id"))
    recipient_is_agent: Mapped[bool] = mapped_column(default=False)
    recipient_relation: Mapped[RecipientRelation | None] = mapped_column(str_enum(RecipientRelation))
    authorisation_ref: Mapped[str | None] = mapped_column(String(100))
    # Early sale of a lot (one auction, many items): the lot's total; lines may carry item prices.
    lot_proceeds_fen: Mapped[int | None] = mapped_column(BigInteger)
    # An auction lot (司法拍卖, issue 13): its reference, the buyer (买受人), how the total was split.
    lot_auction_ref: Mapped[str | None] = mapped_column(String(64))
    lot_buyer: Mapped[str | None] = mapped_column(String(200))
    lot_split: Mapped[LotSplit | None] = mapped_column(str_enum(LotSplit))
    # 退库: confiscated unclaimed property later claimed and proven is refunded from the treasury.
    refund_doc_no: Mapped[str | None] = mapped_column(String(64))
    refunded_at: Mapped[datetime | None]
    refunded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()
    custodian_agency: Mapped[Agency] = relationship(lazy="joined")
    recipient: Mapped[Counterparty | None] = relationship(foreign_keys=[recipient_id], lazy="joined")
    witness_counterparty: Mapped[Counterparty | None] = relationship(
        foreign_keys=[witness_counterparty_id], lazy="joined"
    )
    lines: Mapped[list[DispositionLine]] = relationship(
        back_populates="disposition", order_by="DispositionLine.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class DispositionLine(Base):
    __tablename__ = "disposition_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    disposition_id: Mapped[int] = mapped_column(ForeignKey("disposition.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    proceeds_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Early sale: the case-money entry (涉案款专户) that replaced the item and follows the case.
    proceeds_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)

    disposition: Mapped[Disposition] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(foreign_keys=[item_id], lazy="joined")


class FreezeOrder(Base):
    """冻结 — a freeze of an account or securities. It belongs to the item, so it follows custody."""

    __tablename__ = "freeze_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    asset_type: Mapped[FreezeAssetType] = mapped_column(str_enum(FreezeAssetType))
    institution: Mapped[str] = mapped_column(String(100))
    account_no: Mapped[str] = mapped_column(String(40))
    account_name: Mapped[str | None] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    major_case: Mapped[bool] = mapped_column(default=False)
    notice_doc_no: Mapped[str] = mapped_column(String(64))  # 协助冻结通知书
    start_on: Mapped[date]
    period_months: Mapped[int]
    expires_on: Mapped[date] = mapped_column(index=True)  # last day the freeze holds
    # The end date on the institution's receipt (回执): the freeze's real end (expires_on follows it).
    receipt_end_on: Mapped[date | None]
    status: Mapped[FreezeStatus] = mapped_column(str_enum(FreezeStatus), index=True)
    # The notice's contents and its approval (程序规定 art. 239, 243 ¶2).
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approval_level: Mapped[ApprovalLevel | None] = mapped_column(str_enum(ApprovalLevel))
    covers_fruits: Mapped[bool] = mapped_column(default=False)  # 是否及于孳息
    scope: Mapped[str | None] = mapped_column(String(200))  # 冻结范围
    listed_company: Mapped[bool] = mapped_column(default=False)
    major_case_approval: Mapped[str | None] = mapped_column(String(100))
    # 轮候冻结 (程序规定 art. 242): its place in the queue behind earlier freezes of the same account.
    queue_position: Mapped[int | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    release_doc_no: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    item: Mapped[Item] = relationship()
    renewals: Mapped[list[FreezeRenewal]] = relationship(order_by="FreezeRenewal.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}


class FreezeRenewal(Base):
    __tablename__ = "freeze_renewal"

    id: Mapped[int] = mapped_column(primary_key=True)
    freeze_id: Mapped[int] = mapped_column(ForeignKey("freeze_order.id"), index=True)
    doc_no: Mapped[str] = mapped_column(String(64))
    period_months: Mapped[int]
    previous_expires_on: Mapped[date]
    new_expires_on: Mapped[date]
    receipt_end_on: Mapped[date | None]
    renewed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    renewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Correction(Base):
    """更正 — a wrong registration field, fixed by an approved correction; history is never rewritten."""

    __tablename__ = "correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[CorrectionStatus] = mapped_column(str_enum(CorrectionStatus), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))

    item: Mapped[Item] = relationship()
