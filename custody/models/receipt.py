"""入库交接单 — one check-in batch: who handed the items over, who received them, where they went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.orm import Base, utcnow

from .agency import Agency, StorageLocation
from .item import Item
from .user import User


class CheckInReceipt(Base):
    """The hand-over of one check-in batch: the items a keeper received into storage from the person who
    brought them, printed as the 入库交接单 with the 移交人 and 接收人 signature lines. Written in the same
    transaction as the items' check-ins; each check-in event names it (``receipt_no``)."""

    __tablename__ = "check_in_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)  # RK-PDGA-2026-000001
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)  # the receiving keeper's
    location_id: Mapped[int] = mapped_column(ForeignKey("storage_location.id"))
    handed_over_by: Mapped[str | None] = mapped_column(String(64))  # 移交人, as entered on the batch
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))  # 接收人: the keeper
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  # the check-ins' time
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()
    location: Mapped[StorageLocation] = relationship()
    received_by: Mapped[User] = relationship()
    lines: Mapped[list[CheckInReceiptLine]] = relationship(
        back_populates="receipt", order_by="CheckInReceiptLine.line_no", cascade="all, delete-orphan"
    )


class CheckInReceiptLine(Base):
    __tablename__ = "check_in_receipt_line"
    __table_args__ = (UniqueConstraint("receipt_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("check_in_receipt.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    line_no: Mapped[int]
    condition: Mapped[str | None] = mapped_column(String(500))  # 入库时状况, as recorded on the item

    receipt: Mapped[CheckInReceipt] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")
