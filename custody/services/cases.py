"""Cases: opening, reading through the visibility filter, and the summary derived from items."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, joinedload

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.cases import CaseOrigin, opening
from custody.domain.clock import local_date
from custody.domain.enums import AgencyKind, CaseStage, EventCategory, ItemCategory, ItemStatus
from custody.domain.errors import Conflict, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.items import ItemFacts, derive_status
from custody.domain.policy import Action, require
from custody.models.agency import Agency
from custody.models.case import Case, SeizureList
from custody.models.item import Item
from custody.orm import utcnow

from .search import contains_text
from .visibility import add_participant, case_filter


def case_event(session: Session, actor: Actor, case: Case, action: str, **data: Any) -> None:
    record_event(
        session,
        category=EventCategory.CASE,
        action=action,
        actor=actor,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        data=data,
    )


# origin → (the number column, the agency column) the opening agency's number goes into
_OPENING_NUMBER = {
    AgencyKind.POLICE: ("police_case_no", "police_agency_id"),
    AgencyKind.PROCURATORATE: ("procuratorate_case_no", "procuratorate_agency_id"),
    AgencyKind.COURT: ("court_case_no", "court_agency_id"),
}


def open_case(
    session: Session,
    actor: Actor,
    *,
    title: str,
    police_case_no: str | None = None,
    case_no: str | None = None,
    origin: CaseOrigin = CaseOrigin.POLICE_FILING,
    filed_on: date | None = None,
    summary: str | None = None,
    referring_body: str | None = None,
) -> Case:
    """立案 — an officer of the opening agency opens a case; that agency handles it and sees it.

    The origin says who opens it and where it starts (domain/cases.ORIGINS): the police (立案, their
    number in ``police_case_no``), the procuratorate (自侦; or a case referred by a supervisory
    commission, named in ``referring_body``), or the court (自诉); the others give their own number
    in ``case_no``."""
    require(actor, Action.OPEN_CASE)
    stage = opening(origin, actor.agency_kind)
    number_field = "police_case_no" if origin is CaseOrigin.POLICE_FILING else "case_no"
    number = ((police_case_no if origin is CaseOrigin.POLICE_FILING else case_no) or case_no or "").strip()
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if not number:
        errors[number_field] = [N_("Required.")]
    elif len(number) > 64:
        errors[number_field] = [N_("Too long.")]
    if not title:
        errors["title"] = [N_("Required.")]
    referring_body = (referring_body or "").strip() or None
    if origin is CaseOrigin.SUPERVISORY_REFERRAL and not referring_body:
        errors["referring_body"] = [N_("Name the supervisory commission that referred the case.")]
    today = local_date(utcnow())
    filed_on = filed_on or today
    if filed_on > today:
        errors["filed_on"] = [N_("In the future.")]
    if errors:
        raise InvalidInput(N_("The case has errors."), fields=errors)
    number_attr, agency_attr = _OPENING_NUMBER[actor.agency_kind]
    duplicate = session.scalar(
        select(Case.id).where(
            getattr(Case, agency_attr) == actor.agency_id, getattr(Case, number_attr) == number
        )
    )
    if duplicate is not None:
        raise Conflict(
            N_("A case with this case number already exists in your agency."),
            code="case.duplicate",
            fields={number_field: [N_("Already in use.")]},
        )
    case = Case(
        title=title,
        summary=(summary or "").strip() or None,
        filed_on=filed_on,
        stage=stage,
        origin=origin,
        referring_body=referring_body,
        handling_agency_id=actor.agency_id,
        created_by_id=actor.user_id,
    )
    setattr(case, number_attr, number)
    setattr(case, agency_attr, actor.agency_id)
    session.add(case)
    session.flush()
    add_participant(session, case.id, actor.agency_id)
    case_event(
        session,
        actor,
        case,
        "case.open",
        origin=origin,
        stage=stage,
        case_no=number,
        police_case_no=case.police_case_no,
        title=title,
        filed_on=filed_on,
        referring_body=referring_body,
    )
    return case


# A case shown with its agencies (the API's case objects name all five): loaded with the case.
CASE_AGENCIES = tuple(
    joinedload(relation)
    for relation in (
        Case.police_agency,
        Case.procuratorate_agency,
        Case.court_agency,
        Case.appeal_court_agency,
        Case.handling_agency,
    )
)


def list_cases_query(actor: Actor, *, stage: CaseStage | None = None, q: str | None = None) -> Select[Any]:
    # The handling agency (every list shows it) in the page's statement (issue 15's query budgets).
    stmt = select(Case).where(case_filter(actor)).options(joinedload(Case.handling_agency))
    if stage is not None:
        stmt = stmt.where(Case.stage == stage)
    matches = contains_text(
        q,
        Case.title,
        Case.police_case_no,
        Case.procuratorate_case_no,
        Case.court_case_no,
        Case.appeal_case_no,
    )
    if matches is not None:
        stmt = stmt.where(matches)
    return stmt.order_by(Case.id.desc())


@dataclass
class CaseSummary:
    """Derived from the case's items on every read [DESIGN §2: never stored by hand]."""

    item_count: int = 0  # every item of the case, disposed ones included
    total_value_fen: int = 0  # the value the case still holds: disposed items excluded
    by_status: dict[str, int] = field(default_factory=dict)
    by_custodian: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """A one-word case status from its items."""
        if self.item_count == 0:
            return "no_items"
        open_items = self.item_count - self.by_status.get(ItemStatus.DISPOSED.value, 0)
        if open_items == 0:
            return "all_disposed"
        if self.by_status.get(ItemStatus.IN_TRANSFER.value):
            return "transfer_pending"
        if self.by_status.get(ItemStatus.AWAITING_CHECK_IN.value):
            return "awaiting_check_in"
        return "in_custody"


def item_value_fen() -> ColumnElement[Any]:
    """An item's value in fen: its estimated value, or for cash without one the amount counted
    (``details.amount_fen``, domain/items.CATEGORY_FIELDS) — the same rule as the ledger's value column."""
    cash_amount = sql_case(
        (Item.category == ItemCategory.CASH, Item.details["amount_fen"].as_integer()), else_=None
    )
    return func.coalesce(Item.estimated_value_fen, cash_amount)


def case_summary(session: Session, case_id: int) -> CaseSummary:
    return case_summaries(session, [case_id])[case_id]


def case_summaries(session: Session, case_ids: Iterable[int]) -> dict[int, CaseSummary]:
    """``case_summary`` of each case, in two statements whatever their number (a list's page: issue
    15's query budgets)."""
    case_ids = list(dict.fromkeys(case_ids))
    summaries = {case_id: CaseSummary() for case_id in case_ids}
    if not case_ids:
        return summaries
    rows = session.execute(
        select(
            Item.case_id,
            Item.custody_state,
            Item.location_state,
            Item.disposition_status,
            Item.custodian_agency_id,
            func.count(),
            func.coalesce(func.sum(item_value_fen()), 0),
        )
        .where(Item.case_id.in_(case_ids))
        .group_by(
            Item.case_id,
            Item.custody_state,
            Item.location_state,
            Item.disposition_status,
            Item.custodian_agency_id,
        )
    ).all()
    per_agency: dict[int, dict[int, int]] = {case_id: {} for case_id in case_ids}
    for case_id, custody_state, location_state, disposition_status, agency_id, count, value in rows:
        summary = summaries[case_id]
        status = derive_status(ItemFacts(custody_state, location_state, disposition_status))
        summary.item_count += count
        if status is not ItemStatus.DISPOSED:
            # What the case still holds: a disposed item's value has left custody (an early sale's
            # proceeds entry, an item of the case itself, stands in for the item it replaced).
            summary.total_value_fen += int(value)
        summary.by_status[status.value] = summary.by_status.get(status.value, 0) + count
        per_agency[case_id][agency_id] = per_agency[case_id].get(agency_id, 0) + count
    agency_ids = {agency_id for counts in per_agency.values() for agency_id in counts}
    agencies = (
        {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
        if agency_ids
        else {}
    )
    for case_id, counts in per_agency.items():
        summaries[case_id].by_custodian = [
            {"agency": agencies[agency_id], "count": count} for agency_id, count in sorted(counts.items())
        ]
    return summaries


def merge_targets(session: Session, actor: Actor, case: Case) -> list[Case]:
    """The open cases ``actor``'s agency handles that ``case`` could be merged into (newest first)."""
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.handling_agency_id == actor.agency_id, Case.id != case.id, Case.stage != CaseStage.CLOSED
            )
            .order_by(Case.id.desc())
            .limit(200)
        )
    )


def seizure_list_with_items(session: Session, case: Case, list_id: int) -> tuple[SeizureList, list[Item]]:
    """One seizure list of ``case`` (read through ``get_case``) with its items, in order."""
    seizure_list = session.get(SeizureList, list_id)
    if seizure_list is None or seizure_list.case_id != case.id:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.seizure_list")
    items = list(
        session.scalars(select(Item).where(Item.seizure_list_id == seizure_list.id).order_by(Item.id))
    )
    return seizure_list, items


def first_numbers(session: Session, case_ids: set[int]) -> dict[int, str]:
    """{case id: the number it was first filed under}, for labels that name each item's case."""
    if not case_ids:
        return {}
    return {case.id: case.first_number for case in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
