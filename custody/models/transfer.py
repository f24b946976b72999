"""随案移送 — a transfer of a case's items from one agency to another, decided line by line."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.domain.enums import DispositionKind, LineDecision, TransferKind, TransferMode, TransferStatus
from custody.orm import Base, str_enum, utcnow

from .agency import Agency
from .case import Case
from .item import Item


class Transfer(Base):
    __tablename__ = "transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_no: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    kind: Mapped[TransferKind] = mapped_column(str_enum(TransferKind))
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[TransferStatus] = mapped_column(str_enum(TransferStatus), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the receiver first signed for something: the case moved to them at that moment.
    received_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    recalled_at: Mapped[datetime | None]
    recalled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recall_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()
    from_agency: Mapped[Agency] = relationship(foreign_keys=[from_agency_id], lazy="joined")
    to_agency: Mapped[Agency] = relationship(foreign_keys=[to_agency_id], lazy="joined")
    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", order_by="TransferLine.line_no", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class TransferLine(Base):
    __tablename__ = "transfer_line"
    __table_args__ = (
        UniqueConstraint("transfer_id", "item_id"),
        # An item can be offered in at most one undecided line at a time, whatever the race.
        Index(
            "uq_transfer_line_item_pending",
            "item_id",
            unique=True,
            sqlite_where=text("decision = 'pending'"),
            postgresql_where=text("decision = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    line_no: Mapped[int]
    proposed_disposition: Mapped[DispositionKind | None] = mapped_column(str_enum(DispositionKind))
    mode: Mapped[TransferMode] = mapped_column(str_enum(TransferMode))
    decision: Mapped[LineDecision] = mapped_column(str_enum(LineDecision))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    # Listed though not complete (刑事诉讼法 art. 245: the list names all the property): out on a
    # check-out for appraisal, or a valuable still awaiting its photo or valuation.
    flag: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)

    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
