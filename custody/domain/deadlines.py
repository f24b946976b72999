"""The law's clocks — deadlines the system watches [LAW + DESIGN §3 "Deadlines the system watches"].

Pure functions of plain facts and an injected clock (``now``, an aware datetime): no Flask, no
session. Services load the facts (``custody.services.alerts``); each rule function turns them into
``Alert`` values that name the item or case, the rule (a stable code, an English msgid label and its
legal source), the due time, whether it is overdue or only approaching, and who must act.

How periods are counted (docs/DEADLINES.md):

- **hours** run from the recorded moment (24 hours after seizure is exactly 24 hours later);
- **days** start on the next day and end at midnight local time after the last day
  (a finding on 5 March gives until the end of 8 March) — Criminal Procedure Law art. 105;
- **months** run to the same day of the month (the last day of the month when that day does not
  exist, or when the start was a month's last day), and end at midnight after it (2021解释 art. 202);
- a day or month period whose **last day is a holiday** ends on the first working day after it
  (art. 105 ¶4; ``custody.domain.workdays``); the alert's detail says from which day and why.

An alert is *approaching* from ``due_at - window`` up to and including ``due_at``, and *overdue*
once ``now > due_at`` (the same convention as check-outs: due at 10:00 is late at 10:01).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .clock import local_date, start_of_local_day
from .enums import AgencyKind, LabelledEnum, Role, register_labels
from .errors import InvalidInput
from .i18n import N_
from .items import is_backdated
from .lifecycle import FreezeAssetType, FreezeStatus, add_months
from .workdays import Shift, WorkCalendar, shift_last_day


class AlertRule(LabelledEnum):
    """Stable rule codes (used in the API, the CLI output and the docs)."""

    INTO_STORAGE = "into_storage"
    INTO_STORAGE_TIMELY = "into_storage_timely"
    UNRELATED_RELEASE = "unrelated_release"
    CHECKOUT_RETURN = "checkout_return"
    FREEZE_EXPIRY = "freeze_expiry"
    SUPPLEMENTARY_INVESTIGATION = "supplementary_investigation"
    EXECUTION_FILING = "execution_filing"
    COURT_EXECUTION = "court_execution"
    JUDGMENT_SERVICE = "judgment_service"
    EXECUTION_RECEIPT = "execution_receipt"
    UNCLAIMED_PROPERTY = "unclaimed_property"
    HELD_AFTER_CLOSE = "held_after_close"
    SUPPLEMENTARY_INQUIRY = "supplementary_inquiry"
    CASH_DEPOSIT = "cash_deposit"


class AlertState(LabelledEnum):
    APPROACHING = "approaching"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class RuleSpec:
    rule: AlertRule
    label: str  # msgid: what must happen
    source: str  # the legal source, as in docs/DEADLINES.md
    window: timedelta  # how long before the due time the alert starts ("approaching")
    roles: frozenset[Role]  # who must act, within the responsible agency
    advisory: bool = False  # a reminder the law words as "及时": never overdue


RULES: dict[AlertRule, RuleSpec] = {
    spec.rule: spec
    for spec in (
        RuleSpec(
            AlertRule.INTO_STORAGE,
            N_("Hand seized items to the custody centre within 24 hours"),
            "[LAW] 公安机关涉案财物管理若干规定 (2015): police hand-over within 24 hours",
            timedelta(hours=6),
            frozenset({Role.OFFICER, Role.KEEPER}),
        ),
        RuleSpec(
            AlertRule.INTO_STORAGE_TIMELY,
            N_("Check the seized items in promptly (及时)"),
            "[LAW] 检察院规则 art. 668 (及时办理入库保管手续); [DESIGN] the reminder's delay is configurable",
            timedelta(0),
            frozenset({Role.OFFICER, Role.KEEPER}),
            advisory=True,
        ),
        RuleSpec(
            AlertRule.CASH_DEPOSIT,
            N_("Pay seized cash into the case-money account within 3 days"),
            "[LAW] 检察院规则 art. 217 (三日以内将款项存入唯一合规账户); [DESIGN] the same period for every agency",
            timedelta(days=1),
            frozenset({Role.KEEPER}),
        ),
        RuleSpec(
            AlertRule.UNRELATED_RELEASE,
            N_("Release property found unrelated to the case within 3 days"),
            "[LAW] 刑事诉讼法 art. 145",
            timedelta(days=1),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.CHECKOUT_RETURN,
            N_("Return checked-out items by the approved due time"),
            "[LAW] check-out only with approval, until the approved date; [DESIGN] §3",
            timedelta(hours=24),
            frozenset({Role.OFFICER, Role.KEEPER}),
        ),
        RuleSpec(
            AlertRule.FREEZE_EXPIRY,
            N_("Renew the freeze before it expires, or it lapses"),
            "[LAW] 程序规定 art. 240 (在冻结期限届满前办理继续冻结手续); the end date on the institution's receipt",
            timedelta(days=15),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.SUPPLEMENTARY_INVESTIGATION,
            N_("Complete supplementary investigation within one month"),
            "[LAW] 刑事诉讼法 art. 175 (one month, at most twice)",
            timedelta(days=7),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.EXECUTION_FILING,
            N_("Open the execution case within 7 days of the referral"),
            "[LAW] 2014规定 art. 7 ¶3 (应当在七日内立案)",
            timedelta(days=2),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.COURT_EXECUTION,
            N_("Execute the property parts of the judgment within 6 months"),
            "[LAW] 2014规定 art. 3 (执行案件的期限为六个月，经院长批准可以延长)",
            timedelta(days=30),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.JUDGMENT_SERVICE,
            N_("Serve the judgment on the agency holding the items within 10 days"),
            "[LAW] 2021解释 art. 447 ¶2 (判决生效后十日以内送达扣押机关)",
            timedelta(days=3),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.EXECUTION_RECEIPT,
            N_("Carry out the judgment and return the execution receipt within 1 month (banks: 15 days)"),
            "[LAW] 2021解释 art. 447 ¶2 (一个月以内将执行回单送回), art. 448 (十五日以内)",
            timedelta(days=7),
            frozenset({Role.OFFICER, Role.KEEPER}),
        ),
        RuleSpec(
            AlertRule.UNCLAIMED_PROPERTY,
            N_("Unclaimed property: after the public notice period it goes to the treasury"),
            "[LAW] 程序规定 art. 233 (6 months); 2021解释 art. 445 ¶3 (court-ordered returns: 1 year)",
            timedelta(days=30),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.HELD_AFTER_CLOSE,
            N_("Dispose of the items still held after the case closed (及时)"),
            "[LAW] 程序规定 art. 14 / 刑事诉讼法 art. 245 (及时处理); [DESIGN] configurable grace period",
            timedelta(0),
            frozenset({Role.OFFICER, Role.KEEPER}),
        ),
        RuleSpec(
            AlertRule.SUPPLEMENTARY_INQUIRY,
            N_("Supplementary inquiry by the supervisory commission: one month"),
            "[LAW] 监察法 art. 54 ¶3 (一个月内补充调查完毕，以二次为限)",
            timedelta(days=7),
            frozenset({Role.OFFICER}),
        ),
    )
}

assert set(RULES) == set(AlertRule), "every rule needs a spec"


@dataclass(frozen=True)
class Alert:
    """One deadline that is approaching or has passed, and who must act on it."""

    rule: AlertRule
    state: AlertState
    due_at: datetime
    case_id: int
    case_ref: str  # the case's number as people know it
    agency_id: int  # the agency that must act
    item_ids: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()
    record_type: str | None = None  # the record the deadline hangs on (checkout, freeze, transfer, ...)
    record_id: int | None = None
    record_ref: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def code(self) -> str:
        return self.rule.value

    @property
    def spec(self) -> RuleSpec:
        return RULES[self.rule]

    @property
    def label(self) -> str:
        return RULES[self.rule].label

    @property
    def source(self) -> str:
        return RULES[self.rule].source

    @property
    def roles(self) -> frozenset[Role]:
        return RULES[self.rule].roles

    @property
    def overdue(self) -> bool:
        return self.state is AlertState.OVERDUE

    @property
    def key(self) -> str:
        """Stable identity: the same deadline gives the same key on every run."""
        ids = ",".join(map(str, self.item_ids))
        return f"{self.rule.value}:{self.record_type or 'case'}:{self.record_id or self.case_id}:{self.agency_id}:{ids}"

    def sort_key(self) -> tuple[int, datetime, str]:
        """Most urgent first: overdue before approaching, then the earliest due time."""
        return (0 if self.overdue else 1, self.due_at, self.key)


# -- counting periods ---------------------------------------------------------------------------


def end_of_local_day(day: date) -> datetime:
    """Midnight at the end of ``day`` in China time (the start of the next day)."""
    return start_of_local_day(day + timedelta(days=1))


def add_legal_months(day: date, months: int) -> date:
    """The same day ``months`` later; a month's last day maps to the target month's last day,
    and a day that does not exist in the target month to its last day (2021解释 art. 202)."""
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        target = add_months(day.replace(day=1), months)
        return target.replace(day=calendar.monthrange(target.year, target.month)[1])
    return add_months(day, months)


@dataclass(frozen=True)
class Due:
    """When a legal period ends: midnight after its last day, moved past holidays (刑诉法 105 ¶4)."""

    at: datetime
    shift: Shift | None = None

    def detail(self) -> dict[str, Any]:
        if self.shift is None:
            return {}
        return {
            "shifted_from": self.shift.last_day,
            "last_day": self.shift.new_last_day,
            "shift_reasons": list(self.shift.reasons),
        }


def _day_of(start: datetime | date) -> date:
    return start if not isinstance(start, datetime) else local_date(start)


def legal_due(last_day: date, work_calendar: WorkCalendar | None = None) -> Due:
    shift = shift_last_day(last_day, work_calendar)
    return Due(end_of_local_day(shift.new_last_day if shift else last_day), shift)


def due_after_days(start: datetime | date, days: int, work_calendar: WorkCalendar | None = None) -> datetime:
    return legal_due(_day_of(start) + timedelta(days=days), work_calendar).at


def due_after_months(
    start: datetime | date, months: int, work_calendar: WorkCalendar | None = None
) -> datetime:
    return legal_due(add_legal_months(_day_of(start), months), work_calendar).at


def judge(due_at: datetime, window: timedelta, now: datetime) -> AlertState | None:
    """None before the window opens; approaching within it (due time included); overdue after."""
    if now.tzinfo is None or due_at.tzinfo is None:
        raise ValueError("deadlines need aware datetimes")
    if now > due_at:
        return AlertState.OVERDUE
    if now >= due_at - window:
        return AlertState.APPROACHING
    return None


# -- facts the rules look at (filled by the services) -------------------------------------------


@dataclass(frozen=True)
class CaseRef:
    case_id: int
    case_ref: str


@dataclass(frozen=True)
class AwaitingItem:
    """An item registered but still awaiting check-in at the centre."""

    item_id: int
    label_code: str
    case: CaseRef
    custodian_agency_id: int
    seized_at: datetime
    custodian_kind: AgencyKind = AgencyKind.POLICE


@dataclass(frozen=True)
class UndepositedCash:
    """Seized cash not yet paid into the case-money account (not a sale's proceeds entry)."""

    item_id: int
    label_code: str
    case: CaseRef
    custodian_agency_id: int
    seized_at: datetime


@dataclass(frozen=True)
class UnrelatedFacts:
    """An item found unrelated to the case (查明与案件无关) on ``found_on``."""

    finding_id: int
    item_id: int
    label_code: str
    case: CaseRef
    custodian_agency_id: int
    found_on: date
    released: bool  # returned/disposed, or (for a frozen item) every freeze released


@dataclass(frozen=True)
class CheckoutFacts:
    checkout_id: int
    checkout_no: str
    case: CaseRef
    custodian_agency_id: int
    due_at: datetime
    released: bool  # status RELEASED (items left storage)
    outstanding: tuple[tuple[int, str], ...]  # (item id, label) not yet returned


@dataclass(frozen=True)
class FreezeFacts:
    freeze_id: int
    item_id: int
    label_code: str
    case: CaseRef
    custodian_agency_id: int
    asset_type: FreezeAssetType
    expires_on: date  # the last day the freeze holds
    status: FreezeStatus  # as recorded (an active one past its last day has lapsed anyway)
    item_disposed: bool = False
    superseded: bool = False  # a newer freeze of the same item has replaced this lapsed one
    renewals: int = 0


@dataclass(frozen=True)
class SupplementaryFacts:
    """A 退回补充侦查 transfer the police signed for (``received_at``)."""

    transfer_id: int
    transfer_no: str
    case: CaseRef
    police_agency_id: int
    received_at: datetime
    round: int
    ended: bool  # the case was sent back for prosecution review, or closed


@dataclass(frozen=True)
class InquiryFacts:
    """A referred case sent back to the supervisory commission (补充调查) on ``sent_on``."""

    move_id: int
    doc_no: str | None
    case: CaseRef
    agency_id: int  # the procuratorate handling the case (it follows the inquiry up)
    sent_on: date
    ended: bool  # the commission sent the case back, or the case was closed


@dataclass(frozen=True)
class HeldGroup:
    """Items of a case not yet disposed of, held by one agency."""

    agency_id: int
    items: tuple[tuple[int, str], ...]  # (item id, label)
    agency_kind: AgencyKind | None = None


@dataclass(frozen=True)
class ServiceFacts:
    """The judgment served (送达) on a holder of items that is not the court: an agency, or a bank
    for frozen funds to be confiscated (2021解释 art. 447, 448)."""

    service_id: int
    holder_agency_id: int | None  # None: an institution outside the system (a bank)
    institution: str | None
    served_on: date
    receipt_recorded: bool  # the execution receipt (执行回单) came back
    items_left: bool  # the holder still holds undisposed items of the case


@dataclass(frozen=True)
class JudgmentFacts:
    judgment_id: int
    judgment_no: str
    case: CaseRef
    effective_on: date  # 判决生效之日
    held: tuple[HeldGroup, ...]
    court_agency_id: int | None = None  # the court that executes (first instance)
    referred_on: date | None = None  # 移送执行
    execution_opened_on: date | None = None  # 执行立案
    execution_case_no: str | None = None
    extended_until: date | None = None  # the last day of an approved extension
    services: tuple[ServiceFacts, ...] = ()


@dataclass(frozen=True)
class NoticeFacts:
    """An item on a public notice for unclaimed property (公告), published on ``published_on``."""

    notice_id: int
    notice_no: str
    item_id: int
    label_code: str
    case: CaseRef
    custodian_agency_id: int
    published_on: date
    item_disposed: bool
    months: int = 6  # 6 for unrelated property (程序规定 233), 12 for court-ordered returns (2021解释 445)


@dataclass(frozen=True)
class ClosureFacts:
    closure_id: int
    case: CaseRef
    closed_at: datetime
    held: tuple[HeldGroup, ...]


# [DESIGN] The law's "及时": reminders after these delays (configurable: CUSTODY_TIMELY_CHECK_IN_HOURS,
# CUSTODY_HELD_AFTER_CLOSE_GRACE_DAYS).
DEFAULT_TIMELY_CHECK_IN = timedelta(hours=72)
DEFAULT_CLOSE_GRACE = timedelta(days=30)


@dataclass
class Facts:
    """Everything the engine looks at, for one evaluation."""

    awaiting: list[AwaitingItem] = field(default_factory=list)
    undeposited: list[UndepositedCash] = field(default_factory=list)
    unrelated: list[UnrelatedFacts] = field(default_factory=list)
    checkouts: list[CheckoutFacts] = field(default_factory=list)
    freezes: list[FreezeFacts] = field(default_factory=list)
    supplementary: list[SupplementaryFacts] = field(default_factory=list)
    judgments: list[JudgmentFacts] = field(default_factory=list)
    notices: list[NoticeFacts] = field(default_factory=list)
    closures: list[ClosureFacts] = field(default_factory=list)
    inquiries: list[InquiryFacts] = field(default_factory=list)
    calendar: WorkCalendar | None = None  # holidays move a period's last day (刑诉法 105 ¶4)
    timely_check_in: timedelta = DEFAULT_TIMELY_CHECK_IN
    close_grace: timedelta = DEFAULT_CLOSE_GRACE


# -- the rules ------------------------------------------------------------------------------------


INTO_STORAGE_HOURS = 24
UNRELATED_RELEASE_DAYS = 3
CASH_DEPOSIT_DAYS = 3
SUPPLEMENTARY_MONTHS = 1
EXECUTION_MONTHS = 6
EXECUTION_FILING_DAYS = 7
JUDGMENT_SERVICE_DAYS = 10
RECEIPT_MONTHS = 1
BANK_RECEIPT_DAYS = 15
UNCLAIMED_MONTHS = 6


def _alert(rule: AlertRule, due_at: datetime, now: datetime, **kwargs: Any) -> Alert | None:
    spec = RULES[rule]
    state = judge(due_at, spec.window, now)
    if state is None:
        return None
    if spec.advisory:
        state = AlertState.APPROACHING  # a reminder of "及时", never overdue
    case: CaseRef = kwargs.pop("case")
    return Alert(
        rule=rule, state=state, due_at=due_at, case_id=case.case_id, case_ref=case.case_ref, **kwargs
    )


def _collect(alerts: Iterable[Alert | None]) -> list[Alert]:
    return [a for a in alerts if a is not None]


def into_storage_due(seized_at: datetime) -> datetime:
    return seized_at + timedelta(hours=INTO_STORAGE_HOURS)


def judged_at(occurred_at: datetime, recorded_at: datetime) -> datetime:
    """[DESIGN, issue 14] The moment a deadline rule judges an entry by: when it happened — unless it
    was back-dated (``items.is_backdated``), then when it was recorded. The claimed time stays on the
    record and on the timeline, but an entry made late cannot move itself inside a deadline."""
    return recorded_at if is_backdated(occurred_at, recorded_at) else occurred_at


def into_storage_judgement(
    custodian_kind: AgencyKind, seized_at: datetime, occurred_at: datetime, recorded_at: datetime
) -> dict[str, Any]:
    """How the item's arrival into storage (its first check-in, or its placement outside) stands to
    the police 24-hour rule, judged at ``judged_at``: hours since seizure, and whether it was late
    (police custodians only: other agencies check in "及时", never late). Kept in the event's data."""
    moment = judged_at(occurred_at, recorded_at)
    police = custodian_kind is AgencyKind.POLICE
    return {
        "hours": round((moment - seized_at).total_seconds() / 3600, 1),
        "limit_hours": INTO_STORAGE_HOURS if police else None,
        "late": police and moment > into_storage_due(seized_at),
        "judged_by": "recorded_at" if moment is recorded_at and moment != occurred_at else "occurred_at",
    }


def late_hand_over(custodian_kind: AgencyKind, seized_at: datetime, occurred_at: datetime) -> bool:
    """Whether a police item reached the keeper after the 24 hours (``occurred_at``: when the keeper
    received it, as entered). Unlike ``into_storage_judgement`` this is about the hand-over itself: an
    entry back-dated to within the 24 hours is judged late as a *record* there, and its back-dating reason
    already says why it was recorded late [DESIGN]."""
    return custodian_kind is AgencyKind.POLICE and occurred_at > into_storage_due(seized_at)


def check_late_reason(late: bool, late_reason: str | None, label_code: str) -> str | None:
    """[DESIGN, issue 18] A police item handed over after the 24 hours ([LAW] 公安机关涉案财物管理若干规定
    (2015): police hand seized items to the custody centre within 24 hours, see ``into_storage``) says why,
    on the spot: the keeper asks the officer handing it over and records the answer with the check-in
    (422 ``check_in.late_reason`` on ``late_reason``). The reason to record (None when not late)."""
    if not late:
        return None
    reason = " ".join((late_reason or "").split())
    if not reason:
        raise InvalidInput(
            N_("%(label)s is checked in more than %(limit)s hours after its seizure: say why."),
            code="check_in.late_reason",
            fields={"late_reason": [N_("Required when an item is checked in after the 24 hours.")]},
            label=label_code,
            limit=INTO_STORAGE_HOURS,
        )
    return reason[:400]


def into_storage(
    items: Iterable[AwaitingItem], now: datetime, timely: timedelta = DEFAULT_TIMELY_CHECK_IN
) -> list[Alert]:
    """[LAW] The police hand seized items to the custody centre within 24 hours of seizure (hours run
    from the moment; no holiday rule, which speaks of a last *day*); the procuratorate and the court
    check them in "及时": a reminder after the configured delay, never overdue."""
    result: list[Alert | None] = []
    for i in items:
        police = i.custodian_kind is AgencyKind.POLICE
        result.append(
            _alert(
                AlertRule.INTO_STORAGE if police else AlertRule.INTO_STORAGE_TIMELY,
                into_storage_due(i.seized_at) if police else i.seized_at + timely,
                now,
                case=i.case,
                agency_id=i.custodian_agency_id,
                item_ids=(i.item_id,),
                labels=(i.label_code,),
                record_type="item",
                record_id=i.item_id,
                record_ref=i.label_code,
                detail={"seized_at": i.seized_at},
            )
        )
    return _collect(result)


def cash_deposit_due(seized_at: datetime, work_calendar: WorkCalendar | None = None) -> Due:
    return legal_due(local_date(seized_at) + timedelta(days=CASH_DEPOSIT_DAYS), work_calendar)


def cash_deposit(
    cash: Iterable[UndepositedCash], now: datetime, work_calendar: WorkCalendar | None = None
) -> list[Alert]:
    """[LAW] 检察院规则 art. 217: seized money is paid into the 唯一合规账户 within three days (the day of
    the seizure not counted, the holiday rule applies); [DESIGN] for every agency. The clock stops when
    the cash is deposited (services/money.deposit_cash) or disposed of."""
    result: list[Alert | None] = []
    for c in cash:
        due = cash_deposit_due(c.seized_at, work_calendar)
        result.append(
            _alert(
                AlertRule.CASH_DEPOSIT,
                due.at,
                now,
                case=c.case,
                agency_id=c.custodian_agency_id,
                item_ids=(c.item_id,),
                labels=(c.label_code,),
                record_type="item",
                record_id=c.item_id,
                record_ref=c.label_code,
                detail={"seized_at": c.seized_at, **due.detail()},
            )
        )
    return _collect(result)


def unrelated_release_due(found_on: date, work_calendar: WorkCalendar | None = None) -> Due:
    return legal_due(found_on + timedelta(days=UNRELATED_RELEASE_DAYS), work_calendar)


def unrelated_release(
    findings: Iterable[UnrelatedFacts], now: datetime, work_calendar: WorkCalendar | None = None
) -> list[Alert]:
    """[LAW] Property found unrelated to the case is released within 3 days."""
    result: list[Alert | None] = []
    for f in findings:
        if f.released:
            continue
        due = unrelated_release_due(f.found_on, work_calendar)
        result.append(
            _alert(
                AlertRule.UNRELATED_RELEASE,
                due.at,
                now,
                case=f.case,
                agency_id=f.custodian_agency_id,
                item_ids=(f.item_id,),
                labels=(f.label_code,),
                record_type="unrelated_finding",
                record_id=f.finding_id,
                record_ref=f.label_code,
                detail={"found_on": f.found_on, **due.detail()},
            )
        )
    return _collect(result)


def checkout_returns(checkouts: Iterable[CheckoutFacts], now: datetime) -> list[Alert]:
    """Checked-out items are back by the approved due time (extensions move it)."""
    return _collect(
        _alert(
            AlertRule.CHECKOUT_RETURN,
            c.due_at,
            now,
            case=c.case,
            agency_id=c.custodian_agency_id,
            item_ids=tuple(i for i, _ in c.outstanding),
            labels=tuple(label for _, label in c.outstanding),
            record_type="checkout",
            record_id=c.checkout_id,
            record_ref=c.checkout_no,
        )
        for c in checkouts
        if c.released and c.outstanding
    )


def freeze_due(expires_on: date) -> datetime:
    """A freeze holds through its last day (the one on the institution's receipt): it lapses at
    midnight after ``expires_on``. [DESIGN] No holiday shift: the receipt's date is what the bank
    applies, and renewing early never hurts."""
    return end_of_local_day(expires_on)


def freeze_expiry(freezes: Iterable[FreezeFacts], now: datetime) -> list[Alert]:
    """[LAW] Renew before expiry: from 15 days before, approaching; after the last day, lapsed.

    A lapsed freeze keeps alerting (the money may be moved) until the item is disposed of or a new
    freeze replaces it; a released freeze never alerts.
    """
    result = []
    for f in freezes:
        if f.status is FreezeStatus.RELEASED or f.item_disposed or f.superseded:
            continue
        result.append(
            _alert(
                AlertRule.FREEZE_EXPIRY,
                freeze_due(f.expires_on),
                now,
                case=f.case,
                agency_id=f.custodian_agency_id,
                item_ids=(f.item_id,),
                labels=(f.label_code,),
                record_type="freeze",
                record_id=f.freeze_id,
                record_ref=f.label_code,
                detail={"expires_on": f.expires_on, "asset_type": f.asset_type, "renewals": f.renewals},
            )
        )
    return _collect(result)


def supplementary_due(received_at: datetime, work_calendar: WorkCalendar | None = None) -> Due:
    return legal_due(add_legal_months(_day_of(received_at), SUPPLEMENTARY_MONTHS), work_calendar)


def supplementary_investigation(
    returns: Iterable[SupplementaryFacts], now: datetime, work_calendar: WorkCalendar | None = None
) -> list[Alert]:
    """[LAW] Supplementary investigation is completed within one month of the police's receipt."""
    result: list[Alert | None] = []
    for r in returns:
        if r.ended:
            continue
        due = supplementary_due(r.received_at, work_calendar)
        result.append(
            _alert(
                AlertRule.SUPPLEMENTARY_INVESTIGATION,
                due.at,
                now,
                case=r.case,
                agency_id=r.police_agency_id,
                record_type="transfer",
                record_id=r.transfer_id,
                record_ref=r.transfer_no,
                detail={"received_at": r.received_at, "round": r.round, **due.detail()},
            )
        )
    return _collect(result)


def inquiry_due(sent_on: date, work_calendar: WorkCalendar | None = None) -> Due:
    return legal_due(add_legal_months(sent_on, SUPPLEMENTARY_MONTHS), work_calendar)


def supplementary_inquiry(
    inquiries: Iterable[InquiryFacts], now: datetime, work_calendar: WorkCalendar | None = None
) -> list[Alert]:
    """[LAW] 监察法 art. 54 ¶3: supplementary inquiry is completed within one month."""
    result: list[Alert | None] = []
    for i in inquiries:
        if i.ended:
            continue
        due = inquiry_due(i.sent_on, work_calendar)
        result.append(
            _alert(
                AlertRule.SUPPLEMENTARY_INQUIRY,
                due.at,
                now,
                case=i.case,
                agency_id=i.agency_id,
                record_type="case_move",
                record_id=i.move_id,
                record_ref=i.doc_no,
                detail={"sent_on": i.sent_on, **due.detail()},
            )
        )
    return _collect(result)


def execution_due(
    effective_on: date,
    work_calendar: WorkCalendar | None = None,
    *,
    opened_on: date | None = None,
    extended_until: date | None = None,
) -> Due:
    """[LAW] 2014规定 art. 3: six months from the execution case (立案); until it is opened, from the
    judgment's effect (the earlier, safer start); an approved extension sets its own last day."""
    if extended_until is not None:
        return legal_due(extended_until, work_calendar)
    return legal_due(add_legal_months(opened_on or effective_on, EXECUTION_MONTHS), work_calendar)


def _grouped(
    rule: AlertRule,
    due_at: datetime,
    now: datetime,
    case: CaseRef,
    groups: Iterable[HeldGroup],
    record_type: str,
    record_id: int,
    record_ref: str | None,
    detail: dict[str, Any],
) -> list[Alert]:
    return _collect(
        _alert(
            rule,
            due_at,
            now,
            case=case,
            agency_id=g.agency_id,
            item_ids=tuple(i for i, _ in g.items),
            labels=tuple(label for _, label in g.items),
            record_type=record_type,
            record_id=record_id,
            record_ref=record_ref,
            detail=detail,
        )
        for g in groups
        if g.items
    )


def court_execution(
    judgments: Iterable[JudgmentFacts], now: datetime, work_calendar: WorkCalendar | None = None
) -> list[Alert]:
    """[LAW] The court's execution clocks (2014规定 art. 3, 7; 2021解释 art. 447, 448):

    - the execution case is opened within 7 days of the referral (移送执行) — the court must act;
    - the property parts are executed within 6 months of the execution case (extendable with the
      president's approval) — one alert per agency still holding undisposed items;
    - items held by the police or procuratorate: the judgment is served within 10 days of taking
      effect (the court acts), and the holder returns the execution receipt within 1 month of
      service; a bank holding frozen funds to be confiscated, within 15 days.
    """
    result: list[Alert] = []
    for j in judgments:
        due = execution_due(
            j.effective_on, work_calendar, opened_on=j.execution_opened_on, extended_until=j.extended_until
        )
        result += _grouped(
            AlertRule.COURT_EXECUTION,
            due.at,
            now,
            j.case,
            j.held,
            "judgment",
            j.judgment_id,
            j.judgment_no,
            {
                "effective_on": j.effective_on,
                "execution_opened_on": j.execution_opened_on,
                "extended_until": j.extended_until,
                **due.detail(),
            },
        )
        if j.court_agency_id is None:
            continue
        if j.referred_on is not None and j.execution_opened_on is None:
            filing = legal_due(j.referred_on + timedelta(days=EXECUTION_FILING_DAYS), work_calendar)
            result += _collect(
                [
                    _alert(
                        AlertRule.EXECUTION_FILING,
                        filing.at,
                        now,
                        case=j.case,
                        agency_id=j.court_agency_id,
                        record_type="judgment",
                        record_id=j.judgment_id,
                        record_ref=j.judgment_no,
                        detail={"referred_on": j.referred_on, **filing.detail()},
                    )
                ]
            )
        served = {s.holder_agency_id for s in j.services if s.holder_agency_id is not None}
        service_due = legal_due(j.effective_on + timedelta(days=JUDGMENT_SERVICE_DAYS), work_calendar)
        for group in j.held:
            if group.agency_id == j.court_agency_id or group.agency_kind is AgencyKind.COURT:
                continue
            if group.agency_id in served or not group.items:
                continue
            result += _collect(
                [
                    _alert(
                        AlertRule.JUDGMENT_SERVICE,
                        service_due.at,
                        now,
                        case=j.case,
                        agency_id=j.court_agency_id,
                        item_ids=tuple(i for i, _ in group.items),
                        labels=tuple(label for _, label in group.items),
                        record_type="judgment",
                        record_id=j.judgment_id,
                        record_ref=j.judgment_no,
                        detail={"holder_agency_id": group.agency_id, **service_due.detail()},
                    )
                ]
            )
        for s in j.services:
            if s.receipt_recorded or (s.holder_agency_id is not None and not s.items_left):
                continue
            bank = s.holder_agency_id is None
            last = (
                s.served_on + timedelta(days=BANK_RECEIPT_DAYS)
                if bank
                else add_legal_months(s.served_on, RECEIPT_MONTHS)
            )
            receipt_due = legal_due(last, work_calendar)
            result += _collect(
                [
                    _alert(
                        AlertRule.EXECUTION_RECEIPT,
                        receipt_due.at,
                        now,
                        case=j.case,
                        # A bank is outside the system: the court chases its receipt.
                        agency_id=j.court_agency_id if bank else s.holder_agency_id,
                        record_type="judgment_service",
                        record_id=s.service_id,
                        record_ref=s.institution or j.judgment_no,
                        detail={
                            "served_on": s.served_on,
                            "institution": s.institution,
                            **receipt_due.detail(),
                        },
                    )
                ]
            )
    return result


def unclaimed_due(
    published_on: date, months: int = UNCLAIMED_MONTHS, work_calendar: WorkCalendar | None = None
) -> datetime:
    return legal_due(add_legal_months(published_on, months), work_calendar).at


def unclaimed_property(
    notices: Iterable[NoticeFacts], now: datetime, work_calendar: WorkCalendar | None = None
) -> list[Alert]:
    """[LAW] Property nobody claims within the notice period goes to the treasury."""
    result: list[Alert | None] = []
    for n in notices:
        if n.item_disposed:
            continue
        due = legal_due(add_legal_months(n.published_on, n.months), work_calendar)
        result.append(
            _alert(
                AlertRule.UNCLAIMED_PROPERTY,
                due.at,
                now,
                case=n.case,
                agency_id=n.custodian_agency_id,
                item_ids=(n.item_id,),
                labels=(n.label_code,),
                record_type="public_notice",
                record_id=n.notice_id,
                record_ref=n.notice_no,
                detail={"published_on": n.published_on, "months": n.months, **due.detail()},
            )
        )
    return _collect(result)


def held_after_close(
    closures: Iterable[ClosureFacts], now: datetime, grace: timedelta = DEFAULT_CLOSE_GRACE
) -> list[Alert]:
    """[DESIGN] Items still held once the case is closed are disposed of "及时": overdue after the
    configured grace period (the law sets no period)."""
    result: list[Alert] = []
    for c in closures:
        result += _grouped(
            AlertRule.HELD_AFTER_CLOSE,
            c.closed_at + grace,
            now,
            c.case,
            c.held,
            "case_closure",
            c.closure_id,
            None,
            {"closed_at": c.closed_at},
        )
    return result


def evaluate(facts: Facts, now: datetime) -> list[Alert]:
    """Every rule over every fact, most urgent first."""
    cal = facts.calendar
    alerts = (
        into_storage(facts.awaiting, now, facts.timely_check_in)
        + cash_deposit(facts.undeposited, now, cal)
        + unrelated_release(facts.unrelated, now, cal)
        + checkout_returns(facts.checkouts, now)
        + freeze_expiry(facts.freezes, now)
        + supplementary_investigation(facts.supplementary, now, cal)
        + court_execution(facts.judgments, now, cal)
        + unclaimed_property(facts.notices, now, cal)
        + held_after_close(facts.closures, now, facts.close_grace)
        + supplementary_inquiry(facts.inquiries, now, cal)
    )
    return sorted(alerts, key=Alert.sort_key)


def visible_to(alert: Alert, *, agency_id: int, roles: frozenset[Role]) -> bool:
    """Who sees an alert: auditors all; otherwise the responsible agency's users whose role must
    act, and that agency's approvers (they supervise their agency's deadlines)."""
    if Role.AUDITOR in roles:
        return True
    if alert.agency_id != agency_id:
        return False
    return bool(roles & (alert.roles | {Role.APPROVER}))


register_labels(
    [
        (AlertRule.INTO_STORAGE, N_("Into storage within 24 hours")),
        (AlertRule.INTO_STORAGE_TIMELY, N_("Check in promptly (reminder)")),
        (AlertRule.EXECUTION_FILING, N_("Execution case opened within 7 days")),
        (AlertRule.JUDGMENT_SERVICE, N_("Judgment served on the holder within 10 days")),
        (AlertRule.EXECUTION_RECEIPT, N_("Execution receipt within 1 month (banks 15 days)")),
        (AlertRule.UNRELATED_RELEASE, N_("Release unrelated property within 3 days")),
        (AlertRule.CHECKOUT_RETURN, N_("Check-out return due")),
        (AlertRule.FREEZE_EXPIRY, N_("Freeze expiry")),
        (AlertRule.SUPPLEMENTARY_INVESTIGATION, N_("Supplementary investigation (one month)")),
        (AlertRule.COURT_EXECUTION, N_("Court execution of property (6 months)")),
        (AlertRule.UNCLAIMED_PROPERTY, N_("Unclaimed property after public notice")),
        (AlertRule.HELD_AFTER_CLOSE, N_("Items held after the case closed")),
        (AlertRule.SUPPLEMENTARY_INQUIRY, N_("Supplementary inquiry (one month)")),
        (AlertRule.CASH_DEPOSIT, N_("Cash into the case-money account within 3 days")),
        (AlertState.APPROACHING, N_("Approaching")),
        (AlertState.OVERDUE, N_("Overdue")),
    ]
)
