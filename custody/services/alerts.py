"""Alerts: load the facts the deadline engine needs, evaluate it, and keep what the actor may see.

``alerts_for`` answers "what must my agency (in my role) act on, or may I see": auditors see every
alert, an agency's users see their agency's alerts for the roles that must act, and the agency's
approvers see all of their agency's alerts (they supervise). Administrators see none (no case data).
The rules themselves are pure (``custody.domain.deadlines``); this module only reads rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import InternalTraversal

from custody.domain.actor import Actor
from custody.domain.cases import CaseMoveKind
from custody.domain.clock import local_date
from custody.domain.deadlines import (
    RULES,
    Alert,
    AlertRule,
    AwaitingItem,
    CaseRef,
    CheckoutFacts,
    ClosureFacts,
    Facts,
    FreezeFacts,
    HeldGroup,
    InquiryFacts,
    JudgmentFacts,
    NoticeFacts,
    ServiceFacts,
    SupplementaryFacts,
    UndepositedCash,
    UnrelatedFacts,
    evaluate,
    visible_to,
)
from custody.domain.enums import (
    AgencyKind,
    CaseStage,
    DispositionStatus,
    ItemCategory,
    LocationState,
    Measure,
    Role,
    TransferKind,
    TransferStatus,
)
from custody.domain.lifecycle import CheckoutStatus, FreezeStatus, freeze_status_on
from custody.domain.milestones import NOTICE_MONTHS
from custody.domain.money import MovementKind
from custody.models.agency import Agency
from custody.models.case import Case, CaseMove
from custody.models.item import Item
from custody.models.lifecycle import Checkout, CheckoutLine, DispositionLine, FreezeOrder, FreezeRenewal
from custody.models.money import MoneyMovement
from custody.models.oversight import (
    CaseClosure,
    CaseJudgment,
    JudgmentService,
    PublicNotice,
    PublicNoticeLine,
    UnrelatedFinding,
)
from custody.models.transfer import Transfer
from custody.orm import utcnow

from . import settings
from .calendar import work_calendar
from .visibility import sees_everything


def _setting(name: str, default: int) -> int:
    """A deadline setting from the deployment's configuration (docs/DEADLINES.md)."""
    return int(settings.get(name, default))


# The case's latest number, as ``case_ref`` gives it (empty numbers count as none).
_CASE_REF = func.coalesce(
    func.nullif(Case.appeal_case_no, ""),
    func.nullif(Case.court_case_no, ""),
    func.nullif(Case.procuratorate_case_no, ""),
    func.nullif(Case.police_case_no, ""),
    "",
)

_NOT_DISPOSED = and_(
    Item.disposition_status != DispositionStatus.EXECUTED, Item.location_state != LocationState.GONE
)


def case_ref(case: Case) -> str:
    """The case's latest number: the appeal court's, the court's, the procuratorate's, the police's."""
    return case.latest_number


def _case_refs(session: Session, case_ids: Iterable[int]) -> dict[int, CaseRef]:
    ids = set(case_ids)
    refs: dict[int, CaseRef] = {}
    rows: Iterable[Any] = (
        session.execute(
            select(
                Case.id,
                Case.appeal_case_no,
                Case.court_case_no,
                Case.procuratorate_case_no,
                Case.police_case_no,
            ).where(Case.id.in_(ids))
        )
        if ids
        else []
    )
    for case_id, appeal_no, court_no, procuratorate_no, police_no in rows:
        refs[case_id] = CaseRef(case_id, appeal_no or court_no or procuratorate_no or police_no or "")
    return refs


def _agency(column, agency_id: int | None):
    return column == agency_id if agency_id is not None else true()


class _NoIndex(ColumnElement[Any]):
    """``column`` as a mere filter: on SQLite ``+column``, SQLite's documented way of keeping a term
    from using an index. SQLite knows nothing of skew (and nothing at all of an empty table), so it
    entered the unrelated-property and public-notice joins through the agency's thousands of items
    (ix_item_custodian_agency_id, 5.9 ms at 200k items; issue 15) or, without that index, scanned the
    whole item table and probed the lines by item. With neither the agency's index nor the lines'
    item index usable, it reads the few findings or notice lines and then their items by key.
    Elsewhere the column as it is: PostgreSQL's statistics choose right."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type

    @property
    def _from_objects(self) -> list[Any]:
        return list(self.column._from_objects)


@compiles(_NoIndex)
def _no_index(element: _NoIndex, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_NoIndex, "sqlite")
def _no_index_sqlite(element: _NoIndex, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def _held_groups(
    session: Session, case_ids: set[int], agency_id: int | None
) -> dict[int, tuple[HeldGroup, ...]]:
    """Undisposed items of each case, grouped by the agency holding them."""
    if not case_ids:
        return {}
    groups: dict[int, dict[int, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
    rows = session.execute(
        select(Item.case_id, Item.custodian_agency_id, Item.id, Item.label_code, Agency.kind)
        .join(Agency, Agency.id == Item.custodian_agency_id)
        .where(Item.case_id.in_(case_ids), _NOT_DISPOSED, _agency(Item.custodian_agency_id, agency_id))
        .order_by(Item.id)
    )
    kinds: dict[int, AgencyKind] = {}
    for case_id, custodian_id, item_id, label, kind in rows:
        groups[case_id][custodian_id].append((item_id, label))
        kinds[custodian_id] = kind
    return {
        case_id: tuple(
            HeldGroup(agency, tuple(items), kinds[agency]) for agency, items in sorted(by_agency.items())
        )
        for case_id, by_agency in groups.items()
    }


def _sources(agency_id: int | None, horizon: date) -> dict[str, Any]:
    """The first statement of each source of alerts (below). ``load_facts`` asks in one statement
    which of them have any rows at all and runs only those: an agency's inbox asks for its alerts on
    every visit, and most sources are empty for most agencies (tests/test_query_budgets.py)."""
    return {
        # 1. into storage within 24 hours
        "awaiting": select(
            Item.id,
            Item.label_code,
            Item.case_id,
            Item.custodian_agency_id,
            Item.seized_at,
            Agency.kind,
            _CASE_REF.label("case_ref"),
        )
        .join(Agency, Agency.id == Item.custodian_agency_id)
        .join(Case, Case.id == Item.case_id)
        .where(
            Item.location_state == LocationState.AWAITING_CHECK_IN,
            _NOT_DISPOSED,
            _agency(Item.custodian_agency_id, agency_id),
        )
        .order_by(Item.id),
        # 1b. seized cash paid into the case-money account within 3 days (not a sale's proceeds entry)
        "undeposited": select(
            Item.id,
            Item.label_code,
            Item.case_id,
            Item.custodian_agency_id,
            Item.seized_at,
            _CASE_REF.label("case_ref"),
        )
        .join(Case, Case.id == Item.case_id)
        .where(
            Item.category == ItemCategory.CASH,
            Item.source_item_id.is_(None),
            ~exists().where(DispositionLine.proceeds_item_id == Item.id),
            ~exists().where(
                MoneyMovement.item_id == Item.id,
                MoneyMovement.kind.in_((MovementKind.DEPOSIT, MovementKind.PROCEEDS)),
            ),
            Item.location_state != LocationState.CHECKED_OUT,
            _NOT_DISPOSED,
            _agency(Item.custodian_agency_id, agency_id),
        )
        .order_by(Item.id),
        # 2. unrelated property released within 3 days
        "unrelated": select(
            UnrelatedFinding.id.label("finding_id"),
            UnrelatedFinding.found_on,
            Item.id.label("item_id"),
            Item.label_code,
            Item.case_id,
            Item.custodian_agency_id,
            Item.measure,
            Item.disposition_status,
            Item.location_state,
        )
        .join(Item, Item.id == _NoIndex(UnrelatedFinding.item_id))
        .where(_agency(_NoIndex(Item.custodian_agency_id), agency_id)),
        # 3. check-outs returned by the due time
        "checkouts": select(
            Checkout.id,
            Checkout.checkout_no,
            Checkout.case_id,
            Checkout.custodian_agency_id,
            Checkout.due_at,
            CheckoutLine.item_id,
            Item.label_code,
            _CASE_REF.label("case_ref"),
        )
        .join(CheckoutLine, CheckoutLine.checkout_id == Checkout.id)
        .join(Item, Item.id == CheckoutLine.item_id)
        .join(Case, Case.id == Checkout.case_id)
        .where(
            Checkout.status == CheckoutStatus.RELEASED,
            CheckoutLine.returned_at.is_(None),
            _agency(Checkout.custodian_agency_id, agency_id),
        )
        .order_by(Checkout.id, CheckoutLine.item_id),
        # 4. freezes: renewal window and lapses
        "freezes": select(
            FreezeOrder.id,
            FreezeOrder.item_id,
            FreezeOrder.asset_type,
            FreezeOrder.expires_on,
            FreezeOrder.status,
            Item.label_code,
            Item.case_id,
            Item.custodian_agency_id,
            Item.disposition_status,
            Item.location_state,
        )
        .join(Item, Item.id == FreezeOrder.item_id)
        .where(
            or_(
                FreezeOrder.status == FreezeStatus.LAPSED,
                and_(FreezeOrder.status == FreezeStatus.ACTIVE, FreezeOrder.expires_on <= horizon),
            ),
            _agency(Item.custodian_agency_id, agency_id),
        )
        .order_by(FreezeOrder.id),
        # 5. supplementary investigation: one month from the police's receipt until the case is re-sent
        "supplementary": select(
            Transfer.id, Transfer.transfer_no, Transfer.case_id, Transfer.to_agency_id, Transfer.received_at
        )
        .where(
            Transfer.kind == TransferKind.SUPPLEMENTARY_INVESTIGATION,
            Transfer.received_at.is_not(None),
            _agency(Transfer.to_agency_id, agency_id),
        )
        .order_by(Transfer.received_at),
        # 6. court execution within 6 months of the effective judgment (not once the case is closed:
        #    then "held after close" speaks for the same items)
        "judgments": select(
            CaseJudgment.id,
            CaseJudgment.judgment_no,
            CaseJudgment.case_id,
            CaseJudgment.effective_on,
            CaseJudgment.referred_on,
            CaseJudgment.execution_case_no,
            CaseJudgment.execution_opened_on,
            CaseJudgment.extended_until,
            func.coalesce(Case.court_agency_id, CaseJudgment.court_agency_id).label("court_agency_id"),
        )
        .join(Case, Case.id == CaseJudgment.case_id)
        .where(Case.stage != CaseStage.CLOSED),
        # 7. unclaimed property: 6 months after the public notice
        "notices": select(
            PublicNotice.id.label("notice_id"),
            PublicNotice.notice_no,
            PublicNotice.published_on,
            Item.id.label("item_id"),
            PublicNotice.basis,
            Item.label_code,
            Item.case_id,
            Item.custodian_agency_id,
            Item.disposition_status,
            Item.location_state,
        )
        .join(PublicNoticeLine, PublicNoticeLine.notice_id == PublicNotice.id)
        .join(Item, Item.id == _NoIndex(PublicNoticeLine.item_id))
        .where(_NOT_DISPOSED, _agency(_NoIndex(Item.custodian_agency_id), agency_id))
        .order_by(PublicNotice.id, Item.id),
        # 8. items held after the case closed: closed cases of which the agency still holds items
        "closures": select(CaseClosure.id, CaseClosure.case_id, CaseClosure.closed_at).where(
            select(Item.id)
            .where(
                Item.case_id == CaseClosure.case_id,
                _NOT_DISPOSED,
                _agency(Item.custodian_agency_id, agency_id),
            )
            .exists()
        ),
        # 9. supplementary inquiry by the supervisory commission: one month from sending the case back
        "inquiries": select(
            CaseMove.id, CaseMove.case_id, CaseMove.kind, CaseMove.occurred_on, CaseMove.doc_no
        )
        .join(Case, Case.id == CaseMove.case_id)
        .where(
            CaseMove.kind.in_((CaseMoveKind.INQUIRY_SENT, CaseMoveKind.INQUIRY_RETURNED)),
            _agency(Case.handling_agency_id, agency_id),
        )
        .order_by(CaseMove.case_id, CaseMove.id),
    }


def load_facts(session: Session, *, agency_id: int | None = None, now: datetime | None = None) -> Facts:
    """The facts for every rule; ``agency_id`` keeps only those that agency must act on."""
    now = now or utcnow()
    today = local_date(now)
    horizon = today + timedelta(days=RULES[AlertRule.FREEZE_EXPIRY].window.days + 1)
    sources = _sources(agency_id, horizon)
    present = session.execute(select(*(stmt.exists().label(name) for name, stmt in sources.items()))).one()
    rows = {
        name: list(session.execute(stmt).all()) if getattr(present, name) else []
        for name, stmt in sources.items()
    }

    refs: dict[int, CaseRef] = {}
    for name in ("awaiting", "undeposited", "checkouts"):  # these carry their case's reference
        refs.update((row.case_id, CaseRef(row.case_id, row.case_ref)) for row in rows[name])
    held = _held_groups(session, {row.case_id for row in rows["closures"]}, agency_id)
    # The court's execution clocks concern every holder of the case (the court serves the judgment on
    # the others): load them all; who sees which alert is decided afterwards (visible_to).
    held_by_judgment = _held_groups(session, {row.case_id for row in rows["judgments"]}, None)
    # A judgment alerts while items are held, or while its execution case is still to be opened.
    rows["judgments"] = [
        row for row in rows["judgments"] if row.case_id in held_by_judgment or row.referred_on is not None
    ]
    rows["closures"] = [row for row in rows["closures"] if row.case_id in held]
    case_ids = {
        row.case_id
        for name in ("unrelated", "freezes", "supplementary", "notices", "inquiries", "judgments", "closures")
        for row in rows[name]
    }
    refs.update(_case_refs(session, case_ids - set(refs)))

    facts = Facts()
    facts.awaiting = [
        AwaitingItem(r.id, r.label_code, refs[r.case_id], r.custodian_agency_id, r.seized_at, r.kind)
        for r in rows["awaiting"]
    ]
    facts.undeposited = [
        UndepositedCash(r.id, r.label_code, refs[r.case_id], r.custodian_agency_id, r.seized_at)
        for r in rows["undeposited"]
    ]
    facts.unrelated = _unrelated_facts(session, rows["unrelated"], refs, today)
    facts.checkouts = _checkout_facts(rows["checkouts"], refs)
    facts.freezes = _freeze_facts(session, rows["freezes"], refs, today)
    facts.supplementary = _supplementary_facts(session, rows["supplementary"], refs)
    facts.judgments = _judgment_facts(session, rows["judgments"], held_by_judgment, refs)
    # Only periods counted in days have a last day the holiday rule can move.
    if any(rows[name] for name in ("unrelated", "supplementary", "judgments", "notices", "inquiries")):
        facts.calendar = work_calendar(session)
    facts.timely_check_in = timedelta(hours=_setting("CUSTODY_TIMELY_CHECK_IN_HOURS", 72))
    facts.close_grace = timedelta(days=_setting("CUSTODY_HELD_AFTER_CLOSE_GRACE_DAYS", 30))
    facts.notices = [
        NoticeFacts(
            r.notice_id,
            r.notice_no,
            r.item_id,
            r.label_code,
            refs[r.case_id],
            r.custodian_agency_id,
            r.published_on,
            False,
            NOTICE_MONTHS[r.basis],
        )
        for r in rows["notices"]
    ]
    facts.closures = [
        ClosureFacts(r.id, refs[r.case_id], r.closed_at, held[r.case_id]) for r in rows["closures"]
    ]
    facts.inquiries = _inquiry_facts(session, rows["inquiries"], refs)
    return facts


def _unrelated_facts(
    session: Session, rows: list[Any], refs: dict[int, CaseRef], today: date
) -> list[UnrelatedFacts]:
    """Unrelated property: released once disposed of, or (frozen) once no freeze is active."""
    frozen_items = {row.item_id for row in rows if row.measure is Measure.FROZEN}
    freeze_states: dict[int, list[FreezeStatus]] = defaultdict(list)
    if frozen_items:
        for item_id, status, expires_on in session.execute(
            select(FreezeOrder.item_id, FreezeOrder.status, FreezeOrder.expires_on).where(
                FreezeOrder.item_id.in_(frozen_items)
            )
        ):
            freeze_states[item_id].append(freeze_status_on(status, expires_on, today))
    facts = []
    for r in rows:
        disposed = (
            r.disposition_status is DispositionStatus.EXECUTED or r.location_state is LocationState.GONE
        )
        states = freeze_states.get(r.item_id, [])
        freed = r.measure is Measure.FROZEN and bool(states) and FreezeStatus.ACTIVE not in states
        facts.append(
            UnrelatedFacts(
                r.finding_id,
                r.item_id,
                r.label_code,
                refs[r.case_id],
                r.custodian_agency_id,
                r.found_on,
                released=disposed or freed,
            )
        )
    return facts


def _checkout_facts(rows: list[Any], refs: dict[int, CaseRef]) -> list[CheckoutFacts]:
    """One fact per check-out, with its items not yet returned (the rows are one per line)."""
    by_checkout: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_checkout[row.id].append(row)
    return [
        CheckoutFacts(
            lines[0].id,
            lines[0].checkout_no,
            refs[lines[0].case_id],
            lines[0].custodian_agency_id,
            lines[0].due_at,
            True,
            tuple((r.item_id, r.label_code) for r in lines),
        )
        for lines in by_checkout.values()
    ]


def _freeze_facts(
    session: Session, rows: list[Any], refs: dict[int, CaseRef], today: date
) -> list[FreezeFacts]:
    """Freezes near expiry or lapsed, each knowing whether a later freeze superseded it and how
    often it was renewed."""
    latest_freeze: dict[int, int] = {}
    renewals: dict[int, int] = {}
    if rows:
        for freeze_id, item_id in session.execute(
            select(FreezeOrder.id, FreezeOrder.item_id).where(
                FreezeOrder.item_id.in_({r.item_id for r in rows})
            )
        ):
            latest_freeze[item_id] = max(latest_freeze.get(item_id, 0), freeze_id)
        for (freeze_id,) in session.execute(
            select(FreezeRenewal.freeze_id).where(FreezeRenewal.freeze_id.in_([r.id for r in rows]))
        ):
            renewals[freeze_id] = renewals.get(freeze_id, 0) + 1
    facts = []
    for r in rows:
        effective = freeze_status_on(r.status, r.expires_on, today)
        facts.append(
            FreezeFacts(
                r.id,
                r.item_id,
                r.label_code,
                refs[r.case_id],
                r.custodian_agency_id,
                r.asset_type,
                r.expires_on,
                r.status,
                item_disposed=r.disposition_status is DispositionStatus.EXECUTED
                or r.location_state is LocationState.GONE,
                superseded=effective is FreezeStatus.LAPSED and latest_freeze.get(r.item_id, r.id) > r.id,
                renewals=renewals.get(r.id, 0),
            )
        )
    return facts


def _supplementary_facts(
    session: Session, rows: list[Any], refs: dict[int, CaseRef]
) -> list[SupplementaryFacts]:
    """Each supplementary investigation received by the police: its round, and whether it ended
    (the case was sent again, or closed)."""
    if not rows:
        return []
    cases = {row.case_id for row in rows}
    resent: dict[int, list[datetime]] = defaultdict(list)
    for case_id, created_at in session.execute(
        select(Transfer.case_id, Transfer.created_at).where(
            Transfer.case_id.in_(cases),
            Transfer.kind == TransferKind.PROSECUTION,
            Transfer.status != TransferStatus.RECALLED,
        )
    ):
        resent[case_id].append(created_at)
    rounds: dict[int, list[int]] = defaultdict(list)
    for transfer_id, case_id in session.execute(
        select(Transfer.id, Transfer.case_id)
        .where(
            Transfer.case_id.in_(cases),
            Transfer.kind == TransferKind.SUPPLEMENTARY_INVESTIGATION,
            Transfer.received_at.is_not(None),
        )
        .order_by(Transfer.received_at, Transfer.id)
    ):
        rounds[case_id].append(transfer_id)
    closed = set(session.scalars(select(Case.id).where(Case.id.in_(cases), Case.stage == CaseStage.CLOSED)))
    return [
        SupplementaryFacts(
            back.id,
            back.transfer_no,
            refs[back.case_id],
            back.to_agency_id,
            back.received_at,
            rounds[back.case_id].index(back.id) + 1,
            back.case_id in closed or any(when > back.received_at for when in resent[back.case_id]),
        )
        for back in rows
    ]


def _judgment_facts(
    session: Session, rows: list[Any], held: dict[int, tuple[HeldGroup, ...]], refs: dict[int, CaseRef]
) -> list[JudgmentFacts]:
    """Each effective judgment still to execute, with the holders of the case's items and the
    services of the judgment on them."""
    services: dict[int, list[Any]] = defaultdict(list)
    if rows:
        for service in session.scalars(
            select(JudgmentService).where(JudgmentService.judgment_id.in_([j.id for j in rows]))
        ):
            services[service.judgment_id].append(service)
    facts = []
    for jr in rows:
        groups = held.get(jr.case_id, ())
        holders = {g.agency_id for g in groups if g.items}
        facts.append(
            JudgmentFacts(
                jr.id,
                jr.judgment_no,
                refs[jr.case_id],
                jr.effective_on,
                groups,
                court_agency_id=jr.court_agency_id,
                referred_on=jr.referred_on,
                execution_opened_on=jr.execution_opened_on,
                execution_case_no=jr.execution_case_no,
                extended_until=jr.extended_until,
                services=tuple(
                    ServiceFacts(
                        s.id,
                        s.holder_agency_id,
                        s.institution,
                        s.served_on,
                        s.receipt_no is not None,
                        s.holder_agency_id in holders,
                    )
                    for s in services[jr.id]
                ),
            )
        )
    return facts


def _inquiry_facts(session: Session, inquiry_rows: list[Any], refs: dict[int, CaseRef]) -> list[InquiryFacts]:
    """Each supplementary inquiry sent back to the supervisory commission: ended once the case came
    back (the next move of the same case) or closed."""
    inquiry_cases = {row.case_id for row in inquiry_rows}
    case_rows = (
        {
            row.id: row
            for row in session.execute(
                select(Case.id, Case.stage, Case.handling_agency_id).where(Case.id.in_(inquiry_cases))
            )
        }
        if inquiry_cases
        else {}
    )
    facts: list[InquiryFacts] = []
    for index, move in enumerate(inquiry_rows):
        if move.kind is not CaseMoveKind.INQUIRY_SENT:
            continue
        later = inquiry_rows[index + 1] if index + 1 < len(inquiry_rows) else None
        returned = later is not None and later.case_id == move.case_id
        case_row = case_rows[move.case_id]
        facts.append(
            InquiryFacts(
                move.id,
                move.doc_no,
                refs[move.case_id],
                case_row.handling_agency_id,
                move.occurred_on,
                ended=returned or case_row.stage is CaseStage.CLOSED,
            )
        )
    return facts


def all_alerts(session: Session, now: datetime | None = None) -> list[Alert]:
    """Every alert in the system, most urgent first (for the cron command and auditors)."""
    now = now or utcnow()
    return evaluate(load_facts(session, now=now), now)


def alerts_for(session: Session, actor: Actor, now: datetime | None = None) -> list[Alert]:
    """The alerts ``actor`` must act on or may see, most urgent first."""
    if not actor.roles - {Role.ADMIN}:
        return []
    now = now or utcnow()
    if sees_everything(actor):
        return all_alerts(session, now)
    alerts = evaluate(load_facts(session, agency_id=actor.agency_id, now=now), now)
    return [a for a in alerts if visible_to(a, agency_id=actor.agency_id, roles=actor.roles)]


def filter_alerts(
    alerts: Iterable[Alert],
    *,
    rule: AlertRule | None = None,
    overdue: bool | None = None,
    agency_id: int | None = None,
) -> list[Alert]:
    return [
        a
        for a in alerts
        if (rule is None or a.rule is rule)
        and (overdue is None or a.overdue is overdue)
        and (agency_id is None or a.agency_id == agency_id)
    ]


def summary(alerts: Iterable[Alert]) -> dict[str, dict[str, int]]:
    """Counts per rule: ``{"into_storage": {"overdue": 2, "approaching": 1}, ...}`` (every rule listed)."""
    counts = {rule.value: {"overdue": 0, "approaching": 0} for rule in AlertRule}
    for alert in alerts:
        counts[alert.rule.value][alert.state.value] += 1
    return counts
