"""Cases (one number per authority), the agencies that take part, seizure lists, numbering."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custody.domain.cases import CaseMoveKind, CaseOrigin
from custody.domain.enums import CaseStage, HolderSignature
from custody.orm import Base, str_enum, utcnow

from .agency import Agency

if TYPE_CHECKING:
    from .user import User


class Case(Base):
    """A criminal case. Its status and counts are derived from its items, never kept by hand."""

    __tablename__ = "criminal_case"
    __table_args__ = (UniqueConstraint("police_agency_id", "police_case_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    filed_on: Mapped[date]  # 立案日期: nothing may be seized before it
    stage: Mapped[CaseStage] = mapped_column(str_enum(CaseStage), index=True)
    # Who opened the case (police, procuratorate 自侦, supervisory referral, court 自诉): see domain/cases.
    origin: Mapped[CaseOrigin] = mapped_column(
        str_enum(CaseOrigin), default=CaseOrigin.POLICE_FILING, server_default=CaseOrigin.POLICE_FILING.value
    )
    referring_body: Mapped[str | None] = mapped_column(String(200))  # the supervisory commission
    police_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    police_case_no: Mapped[str | None] = mapped_column(String(64))
    procuratorate_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    procuratorate_case_no: Mapped[str | None] = mapped_column(String(64))
    court_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    court_case_no: Mapped[str | None] = mapped_column(String(64))
    # 二审: the appeal court and its number (2021解释 art. 440); execution returns to the first instance.
    appeal_court_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    appeal_case_no: Mapped[str | None] = mapped_column(String(64))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("criminal_case.id"))  # 并案
    # The agency that holds the case file now (it may register items and propose transfers).
    handling_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    supplementary_rounds: Mapped[int] = mapped_column(default=0)  # 退回补充侦查, at most twice
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    police_agency: Mapped[Agency | None] = relationship(foreign_keys=[police_agency_id])
    procuratorate_agency: Mapped[Agency | None] = relationship(foreign_keys=[procuratorate_agency_id])
    court_agency: Mapped[Agency | None] = relationship(foreign_keys=[court_agency_id])
    appeal_court_agency: Mapped[Agency | None] = relationship(foreign_keys=[appeal_court_agency_id])
    handling_agency: Mapped[Agency] = relationship(foreign_keys=[handling_agency_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def case_numbers(self) -> dict[str, str | None]:
        return {
            "police": self.police_case_no,
            "procuratorate": self.procuratorate_case_no,
            "court": self.court_case_no,
            "appeal_court": self.appeal_case_no,
        }

    @property
    def first_number(self) -> str:
        """The opening agency's number: the police's, else the procuratorate's, else the court's."""
        return self.police_case_no or self.procuratorate_case_no or self.court_case_no or ""

    def number_of(self, agency_id: int | None) -> str | None:
        """The number this agency gave the case (one per authority: 立案号, 检察院案号, 法院案号,
        二审案号), if it is one of the case's authorities and has numbered it."""
        for holder, number in (
            (self.appeal_court_agency_id, self.appeal_case_no),
            (self.court_agency_id, self.court_case_no),
            (self.procuratorate_agency_id, self.procuratorate_case_no),
            (self.police_agency_id, self.police_case_no),
        ):
            if agency_id is not None and holder == agency_id and number:
                return number
        return None

    @property
    def latest_number(self) -> str:
        """The number of the latest agency to hold the case (appeal court › court › procuratorate › police)."""
        return (
            self.appeal_case_no
            or self.court_case_no
            or self.procuratorate_case_no
            or self.police_case_no
            or ""
        )


class CaseMove(Base):
    """A procedural move of the case file that is not a transfer between two agencies of the system:
    自侦 stage advance, 退回补充调查 to the supervisory commission and its return, 并案 (merge)."""

    __tablename__ = "case_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    kind: Mapped[CaseMoveKind] = mapped_column(str_enum(CaseMoveKind))
    occurred_on: Mapped[date]
    doc_no: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    other_case_id: Mapped[int | None] = mapped_column(ForeignKey("criminal_case.id"))  # the merged case
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseParticipant(Base):
    """An agency that has held the case or been offered it: its users may see the case."""

    __tablename__ = "case_participant"

    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True, index=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)
    # True: the agency took part only as the operator of a custody centre holding the case's items —
    # its keepers see the case, its other users do not (services/visibility.py).
    keepers_only: Mapped[bool] = mapped_column(default=False, server_default=false())


class SeizureList(Base):
    """扣押清单 — one search/seizure from one holder; its items are the list's lines."""

    __tablename__ = "seizure_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_no: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("criminal_case.id"), index=True)
    seized_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(200))
    holder_name: Mapped[str | None] = mapped_column(String(64))
    holder_id_no: Mapped[str | None] = mapped_column(String(32))
    holder_contact: Mapped[str | None] = mapped_column(String(64))
    holder_signature: Mapped[HolderSignature] = mapped_column(str_enum(HolderSignature))
    holder_signature_note: Mapped[str | None] = mapped_column(String(200))
    officers: Mapped[str | None] = mapped_column(String(200))
    second_officer: Mapped[str | None] = mapped_column(String(64))  # 程序规定 art. 229: at least two
    witness: Mapped[str | None] = mapped_column(String(200))
    # No qualified witness (程序规定 art. 194 ¶3): the seizure was recorded on video, and why is noted.
    witness_note: Mapped[str | None] = mapped_column(String(200))
    # Printed on the holder's copy; the holder uses it to look up their items' status.
    verification_code: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    # The agency whose officer drew the list up is responsible for the holder's personal data on it.
    created_by: Mapped[User] = relationship()


class NumberSequence(Base):
    """Counters for human-readable numbers (label codes, list and transfer numbers) per scope/year."""

    __tablename__ = "number_sequence"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)
