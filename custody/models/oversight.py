"""Oversight records: case milestones the deadlines hang on, stocktakes and their discrepancies,
random spot checks, public notices for unclaimed property, and owner-lookup attempts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.domain.enums import CaseStage, LocationState
from custody.domain.judgment_orders import OrderKind, OrderStatus
from custody.domain.milestones import NoticeBasis
from custody.domain.owner_lookup import LookupOutcome
from custody.domain.spot_checks import SpotCheckResult, SpotCheckStatus
from custody.domain.stocktake import DiscrepancyStatus, StocktakeResult, StocktakeStatus
from custody.domain.workdays import DayKind
from custody.orm import Base, BigId, str_enum, utcnow

from .agency import Agency, CustodyCentre, StorageLocation
from .case import Case
from .item import Item
from .user import User

# -- case milestones -------------------------------------------------------------------------


class CaseJudgment(Base):
    """判决生效 — the court records that its judgment took effect; the case enters execution and
    the six-month clock for executing its property parts starts on ``effective_on``."""

    __tablename__ = "case_judgment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), unique=True)
    judgment_no: Mapped[str] = mapped_column(String(64))
    effective_on: Mapped[date]
    court_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The execution of its property parts (2014规定 art. 3, 7): referral, execution case, extension.
    referred_on: Mapped[date | None]  # 移送执行
    execution_case_no: Mapped[str | None] = mapped_column(String(64))
    execution_opened_on: Mapped[date | None]  # 执行立案
    extended_until: Mapped[date | None]  # last day of an extension approved by the president
    extension_approval: Mapped[str | None] = mapped_column(String(100))

    case: Mapped[Case] = relationship()


class JudgmentService(Base):
    """The effective judgment served (送达) on a holder of the case's items that is not the court — an
    agency, or a bank holding frozen funds to be confiscated — and the execution receipt it returns
    (2021解释 art. 447, 448)."""

    __tablename__ = "judgment_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    judgment_id: Mapped[int] = mapped_column(ForeignKey("case_judgment.id"), index=True)
    holder_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    institution: Mapped[str | None] = mapped_column(String(200))  # a bank outside the system
    served_on: Mapped[date]
    receipt_no: Mapped[str | None] = mapped_column(String(64))  # 执行回单
    receipt_on: Mapped[date | None]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class JudgmentOrder(Base):
    """One line of the judgment's orders on the case's property (2021解释 art. 444–448): an item
    returned to a named recipient, confiscated, destroyed or handed over, or an amount of the case
    money confiscated or paid to a victim. Open → a final disposal proposed from it → executed (the
    receipt goes back to the court) → closed when the court acknowledges the 执行回单."""

    __tablename__ = "judgment_order"
    __table_args__ = (
        UniqueConstraint("judgment_id", "line_no"),
        CheckConstraint("(item_id IS NULL) <> (amount_fen IS NULL)", name="item_or_amount"),
        CheckConstraint("amount_fen IS NULL OR amount_fen > 0", name="amount_positive"),
        # An item is in at most one order not yet executed.
        Index(
            "uq_judgment_order_item_pending",
            "item_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'proposed')"),
            postgresql_where=text("status IN ('open', 'proposed')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    judgment_id: Mapped[int] = mapped_column(ForeignKey("case_judgment.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    court_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    line_no: Mapped[int]
    kind: Mapped[OrderKind] = mapped_column(str_enum(OrderKind))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    victim_id: Mapped[int | None] = mapped_column(ForeignKey("victim.id"))
    recipient: Mapped[str | None] = mapped_column(String(100))  # personal data: not in the audit record
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), index=True)
    disposition_id: Mapped[int | None] = mapped_column(ForeignKey("disposition.id"), index=True)
    executed_at: Mapped[datetime | None]
    receipt_no: Mapped[str | None] = mapped_column(String(64))  # 执行回单, as the court received it
    receipt_on: Mapped[date | None]
    receipt_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    receipt_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    judgment: Mapped[CaseJudgment] = relationship()
    case: Mapped[Case] = relationship()
    item: Mapped[Item | None] = relationship()
    disposition: Mapped[Any] = relationship("Disposition")
    victim: Mapped[Any] = relationship("Victim")
    receipt_by: Mapped[User | None] = relationship(foreign_keys=[receipt_by_id])


class CaseClosure(Base):
    """结案 / 撤案 / 不起诉 — the case is closed; nothing may stay held after ``closed_at``."""

    __tablename__ = "case_closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), unique=True)
    previous_stage: Mapped[CaseStage] = mapped_column(str_enum(CaseStage))
    closed_at: Mapped[datetime] = mapped_column(index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    legal_basis: Mapped[str] = mapped_column(String(100))  # decision / judgment number
    reason: Mapped[str] = mapped_column(String(500))
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()


class UnrelatedFinding(Base):
    """查明与案件无关 — the item must be released (解除、退还) within 3 days of ``found_on``."""

    __tablename__ = "unrelated_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), unique=True)
    found_on: Mapped[date]
    decision_doc_no: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship()


class PublicNotice(Base):
    """公告 — notice to unknown owners; six months later unclaimed items go to the treasury."""

    __tablename__ = "public_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_no: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    custodian_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    published_on: Mapped[date]
    # Sets the notice period: 6 months for unrelated property, 1 year for court-ordered returns.
    basis: Mapped[NoticeBasis] = mapped_column(
        str_enum(NoticeBasis), default=NoticeBasis.UNRELATED, server_default=NoticeBasis.UNRELATED.value
    )
    medium: Mapped[str] = mapped_column(String(200))  # where it was published
    content: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    lines: Mapped[list[PublicNoticeLine]] = relationship(
        back_populates="notice", order_by="PublicNoticeLine.id", lazy="selectin"
    )


class PublicNoticeLine(Base):
    __tablename__ = "public_notice_line"
    __table_args__ = (UniqueConstraint("notice_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notice.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)

    notice: Mapped[PublicNotice] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")


class CalendarOverride(Base):
    """An administrator's correction of the working-day calendar (custody/domain/workdays.py): a day
    off or a 调休 working day the installed holiday package does not know (yet)."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[DayKind] = mapped_column(str_enum(DayKind))
    note: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- stocktake (盘点) --------------------------------------------------------------------------


class Stocktake(Base):
    __tablename__ = "stocktake"

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_no: Mapped[str] = mapped_column(String(32), unique=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("custody_centre.id"))
    root_location_id: Mapped[int] = mapped_column(ForeignKey("storage_location.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))  # the starting keeper's agency
    status: Mapped[StocktakeStatus] = mapped_column(str_enum(StocktakeStatus), index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    finished_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    centre: Mapped[CustodyCentre] = relationship()
    root_location: Mapped[StorageLocation] = relationship()
    agency: Mapped[Agency] = relationship()
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    finished_by: Mapped[User | None] = relationship(foreign_keys=[finished_by_id])

    __mapper_args__ = {"version_id_col": version}


class StocktakeLine(Base):
    """One label of a stocktake: expected from the books, scanned, or both."""

    __tablename__ = "stocktake_line"
    __table_args__ = (UniqueConstraint("stocktake_id", "label_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), index=True)
    label_code: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    expected: Mapped[bool]  # on the books for the counted area when the count started
    book_state: Mapped[LocationState | None] = mapped_column(str_enum(LocationState))
    book_location_id: Mapped[int | None] = mapped_column(ForeignKey("storage_location.id"))
    found_location_id: Mapped[int | None] = mapped_column(ForeignKey("storage_location.id"))
    scan_count: Mapped[int] = mapped_column(default=0)
    scanned_at: Mapped[datetime | None]
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    result: Mapped[StocktakeResult] = mapped_column(str_enum(StocktakeResult))

    item: Mapped[Item | None] = relationship()
    book_location: Mapped[StorageLocation | None] = relationship(foreign_keys=[book_location_id])
    found_location: Mapped[StorageLocation | None] = relationship(foreign_keys=[found_location_id])


class StocktakeDiscrepancy(Base):
    """What a finished stocktake found wrong, until an approver resolves it with a reason."""

    __tablename__ = "stocktake_discrepancy"

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("stocktake_line.id"), unique=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    label_code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[StocktakeResult] = mapped_column(str_enum(StocktakeResult))
    # The item's custodian; for a label the system does not know, the agency that ran the count.
    responsible_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[DiscrepancyStatus] = mapped_column(str_enum(DiscrepancyStatus), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolution_reason: Mapped[str | None] = mapped_column(String(500))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    stocktake: Mapped[Stocktake] = relationship()
    line: Mapped[StocktakeLine] = relationship(lazy="joined")
    responsible_agency: Mapped[Agency] = relationship(lazy="joined")
    resolved_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


# -- random spot checks (双随机) -----------------------------------------------------------------


class SpotCheck(Base):
    """A reproducible random draw: seed, scope, candidate count and digest are kept for good."""

    __tablename__ = "spot_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_no: Mapped[str] = mapped_column(String(32), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    scope: Mapped[dict[str, Any]]
    sample_size: Mapped[int]  # as requested (the sample is smaller when fewer items match)
    seed: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(120))
    candidate_count: Mapped[int]
    candidates_sha256: Mapped[str] = mapped_column(String(64))
    inspector_pool_count: Mapped[int]
    inspector_pool_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[SpotCheckStatus] = mapped_column(str_enum(SpotCheckStatus), index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    completed_at: Mapped[datetime | None]

    drawn_by: Mapped[User] = relationship()
    items: Mapped[list[SpotCheckItem]] = relationship(
        back_populates="spot_check", order_by="SpotCheckItem.position", lazy="selectin"
    )


class SpotCheckItem(Base):
    __tablename__ = "spot_check_item"
    __table_args__ = (UniqueConstraint("spot_check_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_check.id"), index=True)
    position: Mapped[int]  # draw order, from 1
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    label_code: Mapped[str] = mapped_column(String(32))
    custodian_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))  # at the draw
    inspector_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    result: Mapped[SpotCheckResult] = mapped_column(str_enum(SpotCheckResult))
    finding: Mapped[str | None] = mapped_column(String(1000))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime | None]

    spot_check: Mapped[SpotCheck] = relationship(back_populates="items")
    item: Mapped[Item] = relationship(lazy="joined")
    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id], lazy="joined")
    custodian_agency: Mapped[Agency] = relationship(lazy="joined")


# -- owner lookup (当事人查询) -------------------------------------------------------------------


class OwnerLookupAttempt(Base):
    """Every public lookup, for the rate limit (shared by all workers through the database)."""

    __tablename__ = "owner_lookup_attempt"
    __table_args__ = (
        Index("ix_owner_lookup_attempt_ip_attempted_at", "ip", "attempted_at"),
        Index("ix_owner_lookup_attempt_list_no_attempted_at", "list_no", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str] = mapped_column(String(64))
    list_no: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[LookupOutcome] = mapped_column(str_enum(LookupOutcome, 16))
