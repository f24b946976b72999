"""Items — the unit of accountability — and their photos and attachments."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.domain.enums import (
    AttachmentKind,
    CustodyState,
    DispositionKind,
    DispositionStatus,
    ExternalKind,
    ItemCategory,
    LocationState,
    Measure,
)
from custody.domain.items import cash_amount_fen, value_fen
from custody.orm import Base, str_enum, utcnow

from .agency import Agency, StorageLocation
from .case import Case, SeizureList

if TYPE_CHECKING:
    from .lifecycle import Correction


class Item(Base):
    """One line of a seizure list, with four independent dimensions (DESIGN §2):

    measure 措施, custody 保管责任 (``custodian_agency`` + ``custody_state``), location 实物位置
    (``location_state`` + storage location or external place) and disposition 处置.
    """

    __tablename__ = "item"
    # An agency's items of one category (the cash awaiting its deposit: an alert asked on every inbox
    # visit) — and, as its prefix, the items of one category.
    __table_args__ = (
        Index("ix_item_category_custodian_agency_id", "category", "custodian_agency_id"),
        # An agency's items awaiting check-in (alerts, the keeper's inbox): a few among its thousands.
        # (location_state) alone stays: in id order, it serves a list's newest items in one state.
        Index("ix_item_location_state_custodian_agency_id", "location_state", "custodian_agency_id"),
    )

    # Not a column: set on a page of items by services.items.mark_overdue (late check-out returns).
    if TYPE_CHECKING:
        overdue: bool

    id: Mapped[int] = mapped_column(primary_key=True)
    label_code: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    seizure_list_id: Mapped[int] = mapped_column(ForeignKey("seizure_list.id"), index=True)

    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[ItemCategory] = mapped_column(str_enum(ItemCategory))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit: Mapped[str] = mapped_column(String(16))
    features: Mapped[str | None] = mapped_column(Text)  # 特征
    specification: Mapped[str | None] = mapped_column(String(200))  # 型号、规格
    condition_at_seizure: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(String(200))  # 来源
    is_perishable: Mapped[bool] = mapped_column(default=False)
    estimated_value_fen: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any]]  # category-specific fields (cash denominations, VIN, IMEI, account...)

    owner_name: Mapped[str | None] = mapped_column(String(64))
    owner_id_no: Mapped[str | None] = mapped_column(String(32))
    owner_contact: Mapped[str | None] = mapped_column(String(64))
    ownership_clear: Mapped[bool] = mapped_column(default=False)  # 权属明确、无争议
    # Salt of the personal-data digests in the item's history (docs/LEDGER.md §5.6): 16 random bytes
    # in hex. It never enters an event, so the digests cannot be brute-forced from the record alone.
    # NULL-able in the schema only so migration 0006 could add it in place; the app always sets it.
    personal_data_salt: Mapped[str | None] = mapped_column(String(32), default=lambda: secrets.token_hex(16))

    measure: Mapped[Measure] = mapped_column(str_enum(Measure))
    measure_doc_no: Mapped[str | None] = mapped_column(String(64))  # 扣押决定书等文号; may follow later
    measure_date: Mapped[date]
    seized_at: Mapped[datetime] = mapped_column(index=True)
    seized_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    custodian_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    custody_state: Mapped[CustodyState] = mapped_column(str_enum(CustodyState))

    location_state: Mapped[LocationState] = mapped_column(str_enum(LocationState), index=True)
    storage_location_id: Mapped[int | None] = mapped_column(ForeignKey("storage_location.id"), index=True)
    external_kind: Mapped[ExternalKind | None] = mapped_column(str_enum(ExternalKind))
    external_place: Mapped[str | None] = mapped_column(String(200))
    external_contact: Mapped[str | None] = mapped_column(String(100))
    condition: Mapped[str | None] = mapped_column(String(500))  # latest recorded condition
    checked_in_at: Mapped[datetime | None]  # first received into the centre

    disposition_status: Mapped[DispositionStatus] = mapped_column(str_enum(DispositionStatus))
    disposition_kind: Mapped[DispositionKind | None] = mapped_column(str_enum(DispositionKind))

    # An early-sale proceeds entry names the item it replaced (先行处置: proceeds follow the case).
    source_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))

    # Set when a receiving agency rejected the item in a transfer; cleared when custody next moves.
    flag_reason: Mapped[str | None] = mapped_column(String(500))

    # Head of the item's event chain (a cache the verifier re-derives from the events).
    event_count: Mapped[int] = mapped_column(default=0)
    last_event_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()
    seizure_list: Mapped[SeizureList] = relationship()
    custodian_agency: Mapped[Agency] = relationship(lazy="joined")
    # Lists and pages show where an item is: its location (with centre and parents) comes with it.
    storage_location: Mapped[StorageLocation | None] = relationship(lazy="joined")
    # Loaded where shown (the item's page, a transfer's sign-for screen, a disposal's checks), not
    # with every item of every list.
    attachments: Mapped[list[Attachment]] = relationship(back_populates="item", order_by="Attachment.id")
    source_item: Mapped[Item | None] = relationship(remote_side=[id])
    # Read-only: corrections are made by services.corrections; the item's answer lists them.
    corrections: Mapped[list[Correction]] = relationship(viewonly=True, order_by="Correction.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def cash_amount_fen(self) -> int | None:
        """A cash item's amount counted (its one source of truth: ``details.amount_fen``)."""
        return cash_amount_fen(self.category, self.details)

    @property
    def value_fen(self) -> int | None:
        """The estimated value, or for cash without one the amount counted (domain/items.value_fen)."""
        return value_fen(self.category, self.estimated_value_fen, self.details)


class Attachment(Base):
    """A photo or document of an item, stored by content hash (SHA-256) under the upload folder."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(str_enum(AttachmentKind))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Images: the thumbnail made once from the decoded image, stored like the original (by SHA-256);
    # None for documents, and for images uploaded before thumbnails were stored until first viewed.
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(200))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship(back_populates="attachments")
