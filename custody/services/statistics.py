"""Statistics over the items the actor may see: counts and values by status, category, custodian
agency, case stage and age; average time from seizure to storage, per case stage, and from the
effective judgment to the execution of the disposal. Values are integer fen; durations are given in
hours (seizure → storage) or days.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, DateTime, and_, case, func, literal, null, select, union_all
from sqlalchemy import cast as cast_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.clock import LOCAL_TZ
from custody.domain.enums import CaseStage, DispositionStatus, ItemCategory, ItemStatus, LocationState
from custody.domain.i18n import N_
from custody.domain.items import ItemFacts, derive_status
from custody.domain.lifecycle import FINAL_KINDS, DispositionRecordStatus
from custody.domain.policy import Action, require
from custody.domain.transfers import ROUTES
from custody.models.agency import Agency
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Disposition, DispositionLine
from custody.models.oversight import CaseClosure, CaseJudgment
from custody.models.transfer import Transfer
from custody.orm import utcnow

from . import settings
from .cases import item_value_fen
from .visibility import case_filter, case_item_filter, visibility_scope

# Age of items still held, since seizure: (key, upper bound in days or None, label).
AGE_BUCKETS = (
    ("0_30d", 30, N_("Up to 30 days")),
    ("30_90d", 90, N_("30–90 days")),
    ("90_180d", 180, N_("90–180 days")),
    ("180_365d", 365, N_("180 days – 1 year")),
    ("1_2y", 730, N_("1–2 years")),
    ("over_2y", None, N_("Over 2 years")),
)


@dataclass
class Bucket:
    key: str
    count: int = 0
    value_fen: int = 0
    label: str | None = None  # a msgid (enum label), or a plain name (agency)


@dataclass
class Average:
    count: int = 0  # how many intervals were averaged
    mean: float | None = None  # hours or days, see the field name


@dataclass
class Statistics:
    total: Bucket
    by_status: list[Bucket]
    by_category: list[Bucket]
    by_custodian: list[Bucket]
    by_stage: list[Bucket]
    by_age: list[Bucket]
    seizure_to_storage_hours: Average
    stage_days: dict[str, Average] = field(default_factory=dict)
    judgment_to_disposal_days: Average = field(default_factory=Average)
    generated_at: datetime = field(default_factory=utcnow)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["generated_at"] = self.generated_at.isoformat()
        return data


def _seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[float], func.extract("epoch", later - earlier))
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


# Figures recently computed, per database and visibility scope (``recent_statistics``); per process.
_recent: WeakKeyDictionary[Engine, dict[tuple[Any, ...], Statistics]] = WeakKeyDictionary()
_recent_lock = threading.Lock()


def recent_statistics(session: Session, actor: Actor, *, max_age: timedelta | None = None) -> Statistics:
    """``statistics`` as computed at most ``max_age`` ago (``CUSTODY_STATISTICS_MAX_AGE_SECONDS``,
    300 by default) in this process for anyone who sees the same items. Our choice (issue 15): the
    figures read every item an agency sees, so at city scale they are a report, not a lookup; the
    page and the API say when they were computed (``generated_at``). Zero: computed every time."""
    require(actor, Action.VIEW_STATISTICS)
    if max_age is None:
        max_age = timedelta(seconds=int(settings.get("CUSTODY_STATISTICS_MAX_AGE_SECONDS", 300)))
    if max_age <= timedelta(0):
        return statistics(session, actor)
    now = utcnow()
    engine, scope = session.get_bind().engine, visibility_scope(actor)
    with _recent_lock:
        kept = _recent.setdefault(engine, {}).get(scope)
    if kept is not None and timedelta(0) <= now - kept.generated_at <= max_age:
        return kept
    fresh = statistics(session, actor, now)
    with _recent_lock:
        _recent.setdefault(engine, {})[scope] = fresh
    return fresh


def statistics(session: Session, actor: Actor, now: datetime | None = None) -> Statistics:
    require(actor, Action.VIEW_STATISTICS)
    now = now or utcnow()
    visible = case_item_filter(actor)
    value = func.coalesce(func.sum(item_value_fen()), 0)  # cash counts at its counted amount

    held = and_(
        Item.disposition_status != DispositionStatus.EXECUTED, Item.location_state != LocationState.GONE
    )
    whens = [
        (Item.seized_at > now - timedelta(days=days), key)
        for key, days, _label in AGE_BUCKETS
        if days is not None
    ]
    # The age of an item still held; NULL for the others (they are in no age bucket).
    age = case((~held, null()), *whens, else_=AGE_BUCKETS[-1][0])
    checked_in = Item.checked_in_at.is_not(None)
    seconds = _seconds_between(session, Item.checked_in_at, Item.seized_at)
    # One pass over the visible items (issue 15): grouped by every dimension shown, the groups (a few
    # hundred at most: statuses × categories × custodians × stages × ages) are added up below.
    dimensions = (
        Item.custody_state,
        Item.location_state,
        Item.disposition_status,
        Item.category,
        Item.custodian_agency_id,
        Agency.name,
        Case.stage,
        age,
    )
    groups = session.execute(
        select(
            *dimensions,
            func.count(),
            value,
            func.count(Item.checked_in_at),
            func.sum(case((checked_in, seconds), else_=null())),
        )
        .join(Agency, Agency.id == Item.custodian_agency_id)
        .join(Case, Case.id == Item.case_id)
        .where(visible)
        .group_by(*dimensions)
    ).all()

    statuses = {s: Bucket(s.value, label=s.label) for s in ItemStatus}
    categories = {c: Bucket(c.value, label=c.label) for c in ItemCategory}
    by_custodian: dict[int, Bucket] = {}
    stages = {s: Bucket(s.value, label=s.label) for s in CaseStage}
    ages = {key: Bucket(key, label=label) for key, _days, label in AGE_BUCKETS}
    stored, stored_seconds = 0, 0.0
    for (
        custody_state,
        location_state,
        disposition_status,
        category,
        agency_id,
        agency_name,
        stage,
        age_key,
        count,
        fen,
        stored_count,
        seconds_sum,
    ) in groups:
        fen = int(fen)
        buckets = [
            statuses[derive_status(ItemFacts(custody_state, location_state, disposition_status))],
            categories[category],
            by_custodian.setdefault(agency_id, Bucket(str(agency_id), label=agency_name)),
            stages[stage],
        ]
        if age_key is not None:
            buckets.append(ages[age_key])
        for bucket in buckets:
            bucket.count += count
            bucket.value_fen += fen
        stored += stored_count
        stored_seconds += float(seconds_sum or 0)
    total = Bucket(
        "total", sum(b.count for b in statuses.values()), sum(b.value_fen for b in statuses.values())
    )
    custodians = [by_custodian[agency_id] for agency_id in sorted(by_custodian)]
    to_storage = Average(stored, round(stored_seconds / stored / 3600, 2) if stored else None)

    return Statistics(
        total=total,
        by_status=list(statuses.values()),
        by_category=list(categories.values()),
        by_custodian=custodians,
        by_stage=list(stages.values()),
        by_age=list(ages.values()),
        seizure_to_storage_hours=to_storage,
        stage_days=_stage_durations(session, actor),
        judgment_to_disposal_days=_judgment_to_disposal(session, actor),
        generated_at=now,
    )


def _days(session: Session, moment: Any) -> ColumnElement[float]:
    """An instant (a UTC timestamp column) as a number of days, for differences and ordering in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[float], func.extract("epoch", moment) / 86400.0)
    return cast(ColumnElement[float], func.julianday(moment))


def _local_midnight_days(session: Session, day: Any) -> ColumnElement[float]:
    """``start_of_local_day(day)`` for a DATE column, in the units of ``_days``."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(
            ColumnElement[float],
            func.extract("epoch", func.timezone(LOCAL_TZ.key, cast_(day, DateTime()))) / 86400.0,
        )
    # SQLite has no time zones: the zone's offset (Asia/Shanghai: +08:00, no daylight saving since 1991).
    offset = LOCAL_TZ.utcoffset(datetime(2000, 1, 1)) or timedelta(0)
    return cast(ColumnElement[float], func.julianday(day) - offset.total_seconds() / 86400.0)


def _stage_durations(session: Session, actor: Actor) -> dict[str, Average]:
    """Average days a case spends in each stage, over stage intervals that have ended.

    A case's timeline: investigation from the day it was opened (立案), then each transfer that moved
    the case (the receiver's sign-for), the judgment's effective date (execution), the closure.
    A case returned for supplementary investigation contributes one interval per visit.

    One SQL aggregate: the steps of every visible case (a UNION), each step's end the next step's
    start (``LEAD`` over the case's steps in time order, ties in the order listed), averaged by stage.
    """
    visible = select(Case.id).where(case_filter(actor))
    moved = [(kind, route.to_stage) for kind, route in ROUTES.items() if route.to_stage is not None]
    steps = union_all(
        select(
            Case.id.label("case_id"),
            _local_midnight_days(session, Case.filed_on).label("at"),
            literal(CaseStage.INVESTIGATION.value).label("stage"),
            literal(0).label("step"),
        ).where(Case.id.in_(visible)),
        select(
            Transfer.case_id,
            _days(session, Transfer.received_at),
            case(*((Transfer.kind == kind, stage.value) for kind, stage in moved)),
            literal(1),
        ).where(
            Transfer.case_id.in_(visible),
            Transfer.received_at.is_not(None),
            Transfer.kind.in_([kind for kind, _stage in moved]),
        ),
        select(
            CaseJudgment.case_id,
            _local_midnight_days(session, CaseJudgment.effective_on),
            literal(CaseStage.EXECUTION.value),
            literal(2),
        ).where(CaseJudgment.case_id.in_(visible)),
        select(
            CaseClosure.case_id,
            _days(session, CaseClosure.closed_at),
            literal(CaseStage.CLOSED.value),
            literal(3),
        ).where(CaseClosure.case_id.in_(visible)),
    ).subquery("step")
    ended = (
        select(
            steps.c.stage,
            (
                func.lead(steps.c.at).over(partition_by=steps.c.case_id, order_by=(steps.c.at, steps.c.step))
                - steps.c.at
            ).label("days"),
        )
    ).subquery("interval")
    found = {
        stage: (count, mean)
        for stage, count, mean in session.execute(
            select(ended.c.stage, func.count(ended.c.days), func.avg(ended.c.days))
            .where(ended.c.days.is_not(None))
            .group_by(ended.c.stage)
        )
    }
    result = {}
    for stage in CaseStage:
        if stage is CaseStage.CLOSED:
            continue
        count, mean = found.get(stage.value, (0, None))
        result[stage.value] = Average(count, round(float(mean), 2) if count and mean is not None else None)
    return result


def _judgment_to_disposal(session: Session, actor: Actor) -> Average:
    """Days from the judgment's effective date to each final disposal's execution (per item disposed)."""
    days = _days(session, Disposition.executed_at) - _local_midnight_days(session, CaseJudgment.effective_on)
    count, mean = session.execute(
        select(func.count(), func.avg(days))
        .select_from(CaseJudgment)
        .join(Disposition, Disposition.case_id == CaseJudgment.case_id)
        .join(DispositionLine, DispositionLine.disposition_id == Disposition.id)
        .where(
            Disposition.status == DispositionRecordStatus.EXECUTED,
            Disposition.kind.in_(FINAL_KINDS),
            Disposition.executed_at.is_not(None),
            CaseJudgment.case_id.in_(select(Case.id).where(case_filter(actor))),
        )
    ).one()
    return Average(count, round(float(mean), 2) if count and mean is not None else None)
