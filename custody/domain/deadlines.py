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
  exist, or when the start was a month's last day), and end at midnight after it.

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
from .enums import LabelledEnum, Role, register_labels
from .i18n import N_
from .lifecycle import FreezeAssetType, FreezeStatus, add_months


class AlertRule(LabelledEnum):
    """Stable rule codes (used in the API, the CLI output and the docs)."""

    INTO_STORAGE = "into_storage"
    UNRELATED_RELEASE = "unrelated_release"
    CHECKOUT_RETURN = "checkout_return"
    FREEZE_EXPIRY = "freeze_expiry"
    SUPPLEMENTARY_INVESTIGATION = "supplementary_investigation"
    COURT_EXECUTION = "court_execution"
    UNCLAIMED_PROPERTY = "unclaimed_property"
    HELD_AFTER_CLOSE = "held_after_close"


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


RULES: dict[AlertRule, RuleSpec] = {
    spec.rule: spec
    for spec in (
        RuleSpec(
            AlertRule.INTO_STORAGE,
            N_("Hand seized items to the custody centre within 24 hours"),
            "[LAW] 公安机关涉案财物管理若干规定 (2015): hand-over within 24 hours; [DESIGN] §3",
            timedelta(hours=6),
            frozenset({Role.OFFICER, Role.KEEPER}),
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
            "[LAW] 刑事诉讼法 art. 144; 公安机关办理刑事案件程序规定 (freeze periods, renewal)",
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
            AlertRule.COURT_EXECUTION,
            N_("Execute the property parts of the judgment within 6 months"),
            "[LAW] 刑事裁判涉财产部分执行的若干规定 (2014), six-month execution period; [DESIGN] §3",
            timedelta(days=30),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.UNCLAIMED_PROPERTY,
            N_("Unclaimed property: 6 months after public notice it goes to the treasury"),
            "[LAW] 公安机关办理刑事案件程序规定 / 刑诉法解释: unclaimed 6 months after notice",
            timedelta(days=30),
            frozenset({Role.OFFICER}),
        ),
        RuleSpec(
            AlertRule.HELD_AFTER_CLOSE,
            N_("No items may remain held after the case is closed"),
            "[DESIGN] §3 deadlines: none allowed",
            timedelta(0),
            frozenset({Role.OFFICER, Role.KEEPER}),
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
    and a day that does not exist in the target month to its last day."""
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        target = add_months(day.replace(day=1), months)
        return target.replace(day=calendar.monthrange(target.year, target.month)[1])
    return add_months(day, months)


def due_after_days(start: datetime | date, days: int) -> datetime:
    day = start if not isinstance(start, datetime) else local_date(start)
    return end_of_local_day(day + timedelta(days=days))


def due_after_months(start: datetime | date, months: int) -> datetime:
    day = start if not isinstance(start, datetime) else local_date(start)
    return end_of_local_day(add_legal_months(day, months))


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
class HeldGroup:
    """Items of a case not yet disposed of, held by one agency."""

    agency_id: int
    items: tuple[tuple[int, str], ...]  # (item id, label)


@dataclass(frozen=True)
class JudgmentFacts:
    judgment_id: int
    judgment_no: str
    case: CaseRef
    effective_on: date  # 判决生效之日
    held: tuple[HeldGroup, ...]


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


@dataclass(frozen=True)
class ClosureFacts:
    closure_id: int
    case: CaseRef
    closed_at: datetime
    held: tuple[HeldGroup, ...]


@dataclass
class Facts:
    """Everything the engine looks at, for one evaluation."""

    awaiting: list[AwaitingItem] = field(default_factory=list)
    unrelated: list[UnrelatedFacts] = field(default_factory=list)
    checkouts: list[CheckoutFacts] = field(default_factory=list)
    freezes: list[FreezeFacts] = field(default_factory=list)
    supplementary: list[SupplementaryFacts] = field(default_factory=list)
    judgments: list[JudgmentFacts] = field(default_factory=list)
    notices: list[NoticeFacts] = field(default_factory=list)
    closures: list[ClosureFacts] = field(default_factory=list)


# -- the rules ------------------------------------------------------------------------------------


INTO_STORAGE_HOURS = 24
UNRELATED_RELEASE_DAYS = 3
SUPPLEMENTARY_MONTHS = 1
EXECUTION_MONTHS = 6
UNCLAIMED_MONTHS = 6


def _alert(rule: AlertRule, due_at: datetime, now: datetime, **kwargs: Any) -> Alert | None:
    state = judge(due_at, RULES[rule].window, now)
    if state is None:
        return None
    case: CaseRef = kwargs.pop("case")
    return Alert(
        rule=rule, state=state, due_at=due_at, case_id=case.case_id, case_ref=case.case_ref, **kwargs
    )


def _collect(alerts: Iterable[Alert | None]) -> list[Alert]:
    return [a for a in alerts if a is not None]


def into_storage_due(seized_at: datetime) -> datetime:
    return seized_at + timedelta(hours=INTO_STORAGE_HOURS)


def into_storage(items: Iterable[AwaitingItem], now: datetime) -> list[Alert]:
    """[LAW] Seized items are handed to the custody centre within 24 hours of seizure."""
    return _collect(
        _alert(
            AlertRule.INTO_STORAGE,
            into_storage_due(i.seized_at),
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
        for i in items
    )


def unrelated_release_due(found_on: date) -> datetime:
    return due_after_days(found_on, UNRELATED_RELEASE_DAYS)


def unrelated_release(findings: Iterable[UnrelatedFacts], now: datetime) -> list[Alert]:
    """[LAW] Property found unrelated to the case is released within 3 days."""
    return _collect(
        _alert(
            AlertRule.UNRELATED_RELEASE,
            unrelated_release_due(f.found_on),
            now,
            case=f.case,
            agency_id=f.custodian_agency_id,
            item_ids=(f.item_id,),
            labels=(f.label_code,),
            record_type="unrelated_finding",
            record_id=f.finding_id,
            record_ref=f.label_code,
            detail={"found_on": f.found_on},
        )
        for f in findings
        if not f.released
    )


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
    """A freeze holds through its last day: it lapses at midnight after ``expires_on``."""
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


def supplementary_due(received_at: datetime) -> datetime:
    return due_after_months(received_at, SUPPLEMENTARY_MONTHS)


def supplementary_investigation(returns: Iterable[SupplementaryFacts], now: datetime) -> list[Alert]:
    """[LAW] Supplementary investigation is completed within one month of the police's receipt."""
    return _collect(
        _alert(
            AlertRule.SUPPLEMENTARY_INVESTIGATION,
            supplementary_due(r.received_at),
            now,
            case=r.case,
            agency_id=r.police_agency_id,
            record_type="transfer",
            record_id=r.transfer_id,
            record_ref=r.transfer_no,
            detail={"received_at": r.received_at, "round": r.round},
        )
        for r in returns
        if not r.ended
    )


def execution_due(effective_on: date) -> datetime:
    return due_after_months(effective_on, EXECUTION_MONTHS)


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


def court_execution(judgments: Iterable[JudgmentFacts], now: datetime) -> list[Alert]:
    """[LAW] The property parts of an effective judgment are executed within 6 months; one alert
    per agency still holding undisposed items of the case."""
    result: list[Alert] = []
    for j in judgments:
        result += _grouped(
            AlertRule.COURT_EXECUTION,
            execution_due(j.effective_on),
            now,
            j.case,
            j.held,
            "judgment",
            j.judgment_id,
            j.judgment_no,
            {"effective_on": j.effective_on},
        )
    return result


def unclaimed_due(published_on: date) -> datetime:
    return due_after_months(published_on, UNCLAIMED_MONTHS)


def unclaimed_property(notices: Iterable[NoticeFacts], now: datetime) -> list[Alert]:
    """[LAW] Property nobody claims within 6 months of the public notice goes to the treasury."""
    return _collect(
        _alert(
            AlertRule.UNCLAIMED_PROPERTY,
            unclaimed_due(n.published_on),
            now,
            case=n.case,
            agency_id=n.custodian_agency_id,
            item_ids=(n.item_id,),
            labels=(n.label_code,),
            record_type="public_notice",
            record_id=n.notice_id,
            record_ref=n.notice_no,
            detail={"published_on": n.published_on},
        )
        for n in notices
        if not n.item_disposed
    )


def held_after_close(closures: Iterable[ClosureFacts], now: datetime) -> list[Alert]:
    """[DESIGN] No item may stay held once its case is closed: overdue from the moment after closing."""
    result: list[Alert] = []
    for c in closures:
        result += _grouped(
            AlertRule.HELD_AFTER_CLOSE,
            c.closed_at,
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
    alerts = (
        into_storage(facts.awaiting, now)
        + unrelated_release(facts.unrelated, now)
        + checkout_returns(facts.checkouts, now)
        + freeze_expiry(facts.freezes, now)
        + supplementary_investigation(facts.supplementary, now)
        + court_execution(facts.judgments, now)
        + unclaimed_property(facts.notices, now)
        + held_after_close(facts.closures, now)
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
        (AlertRule.UNRELATED_RELEASE, N_("Release unrelated property within 3 days")),
        (AlertRule.CHECKOUT_RETURN, N_("Check-out return due")),
        (AlertRule.FREEZE_EXPIRY, N_("Freeze expiry")),
        (AlertRule.SUPPLEMENTARY_INVESTIGATION, N_("Supplementary investigation (one month)")),
        (AlertRule.COURT_EXECUTION, N_("Court execution of property (6 months)")),
        (AlertRule.UNCLAIMED_PROPERTY, N_("Unclaimed property after public notice (6 months)")),
        (AlertRule.HELD_AFTER_CLOSE, N_("Items held after the case closed")),
        (AlertState.APPROACHING, N_("Approaching")),
        (AlertState.OVERDUE, N_("Overdue")),
    ]
)
