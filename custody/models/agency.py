"""Reference data: agencies, custody centres and their storage locations."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.domain.enums import AgencyKind, StorageHolds, StorageKind
from custody.domain.items import location_scan_code
from custody.orm import Base, str_enum


class Agency(Base):
    """A police bureau, procuratorate or court. A deployment may have several of each kind."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(str_enum(AgencyKind))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The custody centres this agency runs for every custodian agency (三方共管 with an operator).
    operated_centres: Mapped[list[CustodyCentre]] = relationship(
        viewonly=True, primaryjoin="Agency.id == foreign(CustodyCentre.operator_agency_id)"
    )

    def __repr__(self) -> str:
        return f"<Agency {self.code} {self.kind}>"


class CustodyCentre(Base):
    """涉案财物管理中心 — the shared centre where all three agencies post keepers."""

    __tablename__ = "custody_centre"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    address: Mapped[str | None] = mapped_column(String(255))
    # The agency whose keepers run the centre for every custodian agency (三方共管 with a neutral or
    # third-party operator); None: each custodian agency's own keepers work there.
    operator_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))

    locations: Mapped[list[StorageLocation]] = relationship(back_populates="centre")
    operator_agency: Mapped[Agency | None] = relationship()

    @property
    def operator_agency_name(self) -> str | None:
        return self.operator_agency.name if self.operator_agency else None


class StorageLocation(Base):
    """A room, shelf or bin inside a centre; a tree through ``parent``."""

    __tablename__ = "storage_location"
    __table_args__ = (UniqueConstraint("centre_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("custody_centre.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("storage_location.id"), index=True)
    kind: Mapped[StorageKind] = mapped_column(str_enum(StorageKind))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    # What the location is made for (a vehicle yard, a safe, ordinary shelves): check-in refuses an
    # item the location cannot hold (domain/items.check_location_holds).
    holds: Mapped[StorageHolds] = mapped_column(
        str_enum(StorageHolds), default=StorageHolds.GENERAL, server_default=StorageHolds.GENERAL.value
    )
    is_active: Mapped[bool] = mapped_column(default=True)

    # A location is shown by its path (centre › room › shelf › bin): loading one loads its centre and
    # its parents in the same statement (trees are at most three deep: bin → shelf → room).
    centre: Mapped[CustodyCentre] = relationship(back_populates="locations", lazy="joined")
    parent: Mapped[StorageLocation | None] = relationship(
        remote_side=[id], back_populates="children", lazy="joined", join_depth=3
    )
    children: Mapped[list[StorageLocation]] = relationship(back_populates="parent")

    @property
    def ancestry(self) -> list[StorageLocation]:
        """This location and its ancestors, outermost first."""
        chain: list[StorageLocation] = []
        node: StorageLocation | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def scan_code(self) -> str:
        """What the location's QR label encodes: ``LOC:PDZX:R1-A-01`` (centre code, location code)."""
        return location_scan_code(self.centre.code, self.code)

    @property
    def path(self) -> str:
        """Human-readable path, e.g. ``浦东新区涉案财物管理中心 › 一号库房 › A架 › 03格``."""
        return " › ".join([self.centre.name, *(loc.name for loc in self.ancestry)])
