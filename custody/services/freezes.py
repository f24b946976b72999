"""冻结 — freezes of accounts and securities: record (or queue), renew before expiry, lapse, release.

A freeze belongs to its item, so responsibility for it moves with the item's custody on transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, joinedload

from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import Measure
from custody.domain.errors import Conflict, DomainError, InvalidInput, NotFound, must_exist
from custody.domain.i18n import N_
from custody.domain.items import MAX_FEN, ensure_not_disposed
from custody.domain.lifecycle import (
    ApprovalLevel,
    FreezeAssetType,
    FreezeDecision,
    FreezeStatus,
    check_freeze_category,
    check_freeze_decision,
    check_freeze_not_expired,
    check_freeze_period,
    check_not_duplicate,
    check_receipt_end,
    check_renewal,
    freeze_status_on,
)
from custody.domain.policy import Action
from custody.models.item import Item
from custody.models.lifecycle import FreezeOrder, FreezeRenewal
from custody.orm import utcnow

from .checkouts import Overview, first_refusal, refuse_if, require_on_items, users_by_id
from .item_events import append_item_event
from .storage import facts
from .visibility import get_case, item_filter, lock_items


def _common(freeze: FreezeOrder) -> dict[str, Any]:
    return {
        "freeze_id": freeze.id,
        "asset_type": freeze.asset_type,
        "institution": freeze.institution,
        "amount_fen": freeze.amount_fen,
        "expires_on": freeze.expires_on,
    }


def _same_account(institution: str, account_no: str) -> tuple[str, str]:
    return "".join(institution.split()), "".join(account_no.split()).upper()


def _freezes_of_account(session: Session, institution: str, account_no: str) -> list[FreezeOrder]:
    """Freezes (any case, any agency) of this account that still hold or wait in the queue."""
    key = _same_account(institution, account_no)
    today = local_date(utcnow())
    rows = session.scalars(
        select(FreezeOrder)
        .where(FreezeOrder.status.in_((FreezeStatus.ACTIVE, FreezeStatus.QUEUED)))
        .order_by(FreezeOrder.id)
    )
    return [
        f
        for f in rows
        if _same_account(f.institution, f.account_no) == key
        and freeze_status_on(f.status, f.expires_on, today) in (FreezeStatus.ACTIVE, FreezeStatus.QUEUED)
    ]


def create_freeze(
    session: Session,
    actor: Actor,
    *,
    item_id: int,
    asset_type: FreezeAssetType,
    institution: str,
    account_no: str,
    amount_fen: int,
    start_on: date,
    notice_doc_no: str,
    account_name: str | None = None,
    period_months: int | None = None,
    major_case: bool = False,
    receipt_end_on: date | None = None,
    approved_by: str | None = None,
    approval_level: ApprovalLevel | None = None,
    covers_fruits: bool = False,
    scope: str | None = None,
    listed_company: bool = False,
    major_case_approval: str | None = None,
    queued: bool = False,
) -> FreezeOrder:
    """冻结 — record a freeze as the notice and the institution's receipt state it: the end date is the
    receipt's (the period computed from the start is only the suggestion); the approval and the
    notice's contents (account, amount, period, scope, whether interest is covered) are recorded; an
    account already frozen is refused unless the freeze is queued (轮候) behind the earlier ones."""
    [item] = lock_items(session, actor, [item_id])
    require_on_items(actor, Action.MANAGE_FREEZE, [item])
    ensure_not_disposed(facts(item))
    if item.measure is not Measure.FROZEN:
        raise Conflict(
            N_("Register the item with the measure 'frozen' to record a freeze."),
            code="freeze.item_not_frozen",
        )
    check_freeze_category(item.category, asset_type)
    months = check_freeze_period(asset_type, major_case, period_months, actor.agency_kind)
    errors: dict[str, list[str]] = {}
    if amount_fen < 0:
        errors["amount_fen"] = [N_("Cannot be negative.")]
    elif amount_fen > MAX_FEN:
        errors["amount_fen"] = [N_("Too large.")]
    if start_on > local_date(utcnow()):
        errors["start_on"] = [N_("In the future.")]
    for name, value in (
        ("institution", institution),
        ("account_no", account_no),
        ("notice_doc_no", notice_doc_no),
    ):
        if not (value or "").strip():
            errors[name] = [N_("Required.")]
    for name, text, limit in (("approved_by", approved_by, 100), ("scope", scope, 200)):
        if text is not None and len(text) > limit:
            errors[name] = [N_("Too long.")]
    if errors:
        raise InvalidInput(N_("The freeze has errors."), fields=errors)
    # The notice number evidences the approval when no approver is named (the notice is issued only
    # once the head has approved it).
    approver = (approved_by or "").strip() or f"见协助冻结通知书 {notice_doc_no.strip()}"
    decision = FreezeDecision(
        approved_by=approver,
        approval_level=approval_level,
        covers_fruits=covers_fruits,
        scope=(scope or "").strip() or None,
        listed_company=listed_company,
        major_case_approval=(major_case_approval or "").strip() or None,
    )
    check_freeze_decision(decision, asset_type, major_case, actor.agency_kind)
    earlier = _freezes_of_account(session, institution, account_no)
    check_not_duplicate([f.notice_doc_no for f in earlier], queued)
    expires_on = check_receipt_end(start_on, months, receipt_end_on)
    if not queued:
        check_freeze_not_expired(expires_on, local_date(utcnow()))
    freeze = FreezeOrder(
        item_id=item.id,
        asset_type=asset_type,
        institution=institution.strip(),
        account_no=account_no.strip(),
        account_name=account_name,
        amount_fen=amount_fen,
        major_case=major_case,
        notice_doc_no=notice_doc_no.strip(),
        start_on=start_on,
        period_months=months,
        expires_on=expires_on,
        receipt_end_on=receipt_end_on,
        status=FreezeStatus.QUEUED if queued else FreezeStatus.ACTIVE,
        approved_by=decision.approved_by,
        approval_level=approval_level,
        covers_fruits=covers_fruits,
        scope=decision.scope,
        listed_company=listed_company,
        major_case_approval=decision.major_case_approval,
        queue_position=len(earlier) + 1 if queued else None,
        created_by_id=actor.user_id,
    )
    session.add(freeze)
    session.flush()
    append_item_event(
        session,
        item,
        actor,
        "freeze.queue" if queued else "freeze.create",
        data={
            **_common(freeze),
            "start_on": start_on,
            "period_months": months,
            "receipt_end_on": receipt_end_on,
            "notice_doc_no": freeze.notice_doc_no,
            "approved_by": freeze.approved_by,
            "approval_level": approval_level,
            "covers_fruits": covers_fruits,
            "scope": freeze.scope,
            "major_case": major_case,
            "major_case_approval": freeze.major_case_approval,
            "queue_position": freeze.queue_position,
        },
    )
    return freeze


# What can be done to a freeze, named as the API's endpoints name them.
FREEZE_ACTIONS = ("renew", "release", "activate")


def _require_releasable(freeze: FreezeOrder, today: date) -> None:
    effective = freeze_status_on(freeze.status, freeze.expires_on, today)
    if effective not in (FreezeStatus.ACTIVE, FreezeStatus.QUEUED):
        raise Conflict(N_("Only an active freeze can be released."), code=f"freeze.{effective.value}")


def _require_queued(freeze: FreezeOrder) -> None:
    if freeze.status is not FreezeStatus.QUEUED:
        raise Conflict(N_("Only a queued freeze takes effect this way."), code="freeze.not_queued")


def freeze_problem(
    actor: Actor, freeze: FreezeOrder, action: str, item: Item | None = None, today: date | None = None
) -> DomainError | None:
    """Why ``actor`` may not take ``action`` (one of ``FREEZE_ACTIONS``) on ``freeze`` now, or None: the
    refusal the step itself raises before it reads its inputs. ``item``: the freeze's (the step passes
    it locked)."""
    item = freeze.item if item is None else item
    today = today or local_date(utcnow())
    state = {
        # [LAW] 程序规定 art. 240: renewal any time before the last day has passed.
        "renew": lambda: check_renewal(freeze.status, freeze.expires_on, today),
        "release": lambda: _require_releasable(freeze, today),
        "activate": lambda: _require_queued(freeze),
    }[action]
    return first_refusal(
        lambda: require_on_items(actor, Action.MANAGE_FREEZE, [item]),
        lambda: ensure_not_disposed(facts(item)),
        state,
    )


def freeze_actions(actor: Actor, freeze: FreezeOrder, today: date | None = None) -> list[str]:
    """The actions ``actor`` may take on ``freeze`` now (``FREEZE_ACTIONS``, in that order)."""
    today = today or local_date(utcnow())
    return [a for a in FREEZE_ACTIONS if freeze_problem(actor, freeze, a, today=today) is None]


def freeze_overview(session: Session, actor: Actor, freeze_id: int, today: date | None = None) -> Overview:
    freeze = get_freeze(session, actor, freeze_id)
    today = today or local_date(utcnow())
    problems = {a: freeze_problem(actor, freeze, a, today=today) for a in FREEZE_ACTIONS}
    people = users_by_id(
        session, freeze.created_by_id, freeze.released_by_id, *(r.renewed_by_id for r in freeze.renewals)
    )
    return Overview(freeze, problems, people)


def latest_notice_doc_no(session: Session, item_id: int) -> str | None:
    """The freeze notice (协助冻结通知书) last recorded for an item, if any: a new freeze's default."""
    return session.scalar(
        select(FreezeOrder.notice_doc_no)
        .where(FreezeOrder.item_id == item_id)
        .order_by(FreezeOrder.id.desc())
        .limit(1)
    )


def activate_queued(
    session: Session,
    actor: Actor,
    freeze_id: int,
    *,
    start_on: date,
    receipt_end_on: date | None = None,
    doc_no: str | None = None,
) -> FreezeOrder:
    """A queued freeze takes effect when the earlier freeze ends (the institution's notice says from
    when and until when): it becomes active with its own period from that day."""
    freeze, item = _locked(session, actor, freeze_id)
    refuse_if(freeze_problem(actor, freeze, "activate", item))
    ahead = [
        f for f in _freezes_of_account(session, freeze.institution, freeze.account_no) if f.id != freeze.id
    ]
    still_active = [f.notice_doc_no for f in ahead if f.status is FreezeStatus.ACTIVE]
    if still_active:
        raise Conflict(
            N_("The earlier freeze (%(nos)s) still holds: the queued one takes effect when it ends."),
            code="freeze.queue_ahead",
            nos="、".join(still_active),
        )
    if start_on > local_date(utcnow()):
        raise InvalidInput(N_("In the future."), fields={"start_on": [N_("In the future.")]})
    freeze.start_on = start_on
    freeze.expires_on = check_receipt_end(start_on, freeze.period_months, receipt_end_on)
    freeze.receipt_end_on = receipt_end_on
    check_freeze_not_expired(freeze.expires_on, local_date(utcnow()))
    freeze.status = FreezeStatus.ACTIVE
    freeze.queue_position = None
    session.flush()
    append_item_event(
        session,
        item,
        actor,
        "freeze.activate",
        data={**_common(freeze), "start_on": start_on, "receipt_end_on": receipt_end_on, "doc_no": doc_no},
    )
    return freeze


def _locked(session: Session, actor: Actor, freeze_id: int) -> tuple[FreezeOrder, Item]:
    freeze = session.scalar(
        select(FreezeOrder)
        .join(Item, Item.id == FreezeOrder.item_id)
        .where(FreezeOrder.id == freeze_id, item_filter(actor))
        .with_for_update(of=FreezeOrder)
        .execution_options(populate_existing=True)
    )
    if freeze is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.freeze")
    [item] = lock_items(session, actor, [freeze.item_id])
    return freeze, item


def renew_freeze(
    session: Session,
    actor: Actor,
    freeze_id: int,
    *,
    doc_no: str,
    period_months: int | None = None,
    receipt_end_on: date | None = None,
    today: date | None = None,
) -> FreezeOrder:
    """续冻 — any time before the last day passes; each renewal for at most the same period, counted
    from the old end; the new end is the one on the institution's receipt (else the suggestion)."""
    freeze, item = _locked(session, actor, freeze_id)
    refuse_if(freeze_problem(actor, freeze, "renew", item, today))
    if not (doc_no or "").strip():
        raise InvalidInput(N_("Record the renewal notice number."), fields={"doc_no": [N_("Required.")]})
    months = check_freeze_period(freeze.asset_type, freeze.major_case, period_months, actor.agency_kind)
    previous = freeze.expires_on
    freeze.expires_on = check_receipt_end(previous + timedelta(days=1), months, receipt_end_on)
    freeze.renewals.append(
        FreezeRenewal(
            doc_no=doc_no.strip(),
            period_months=months,
            previous_expires_on=previous,
            new_expires_on=freeze.expires_on,
            receipt_end_on=receipt_end_on,
            renewed_by_id=actor.user_id,
        )
    )
    session.flush()
    append_item_event(
        session,
        item,
        actor,
        "freeze.renew",
        data={
            **_common(freeze),
            "previous_expires_on": previous,
            "period_months": months,
            "doc_no": doc_no.strip(),
        },
    )
    return freeze


def release_freeze(
    session: Session, actor: Actor, freeze_id: int, *, doc_no: str, reason: str | None = None
) -> FreezeOrder:
    """解除冻结."""
    freeze, item = _locked(session, actor, freeze_id)
    refuse_if(freeze_problem(actor, freeze, "release", item))
    if not (doc_no or "").strip():
        raise InvalidInput(N_("Record the release notice number."), fields={"doc_no": [N_("Required.")]})
    freeze.status = FreezeStatus.RELEASED
    freeze.released_at = utcnow()
    freeze.released_by_id = actor.user_id
    freeze.release_doc_no = doc_no.strip()
    append_item_event(
        session,
        item,
        actor,
        "freeze.release",
        reason=reason,
        data={**_common(freeze), "doc_no": freeze.release_doc_no},
    )
    return freeze


def record_lapses(session: Session, now: datetime | None = None) -> list[FreezeOrder]:
    """Mark active freezes past their last day as lapsed, each with an event in the item's history.

    Run from cron (``flask custody lapse-freezes``); a lapse happens by law whether or not this has
    run, and every read shows the effective status anyway.
    """
    today = local_date(now or utcnow())
    due = list(
        session.scalars(
            select(FreezeOrder)
            .where(FreezeOrder.status == FreezeStatus.ACTIVE, FreezeOrder.expires_on < today)
            .order_by(FreezeOrder.item_id)
            .with_for_update(of=FreezeOrder)
        )
    )
    for freeze in due:
        item = must_exist(
            session.scalar(select(Item).where(Item.id == freeze.item_id).with_for_update(of=Item)),
            f"item {freeze.item_id}",
        )
        freeze.status = FreezeStatus.LAPSED
        append_item_event(session, item, None, "freeze.lapse", data=_common(freeze))
    return due


def get_freeze(session: Session, actor: Actor, freeze_id: int) -> FreezeOrder:
    freeze = session.scalar(
        select(FreezeOrder)
        .join(Item, Item.id == FreezeOrder.item_id)
        .where(FreezeOrder.id == freeze_id, item_filter(actor))
    )
    if freeze is None:
        raise NotFound(N_("Record not found, or not visible to your agency."), code="not_found.freeze")
    return freeze


def freezes_query(
    actor: Actor,
    *,
    item_id: int | None = None,
    status: FreezeStatus | None = None,
    expiring_before: date | None = None,
    effective: FreezeStatus | None = None,
    today: date | None = None,
) -> Select[Any]:
    """Freezes of items ``actor`` may see, soonest end first. ``status`` filters on the stored status;
    ``effective`` on what the law says ``today`` (an active freeze past its last day has lapsed, whether
    or not the lapse job has recorded it yet)."""
    # Each freeze's item (whose agency decides how much of the account is shown) in the page's
    # statement, not one statement per row (issue 15's query budgets).
    stmt = (
        select(FreezeOrder)
        .join(Item, Item.id == FreezeOrder.item_id)
        .where(item_filter(actor))
        .options(joinedload(FreezeOrder.item))
    )
    if effective is not None:
        today = today or local_date(utcnow())
        in_force = (FreezeOrder.status == FreezeStatus.ACTIVE) & (FreezeOrder.expires_on >= today)
        lapsed = (FreezeOrder.status == FreezeStatus.ACTIVE) & (FreezeOrder.expires_on < today)
        if effective is FreezeStatus.ACTIVE:
            stmt = stmt.where(in_force)
        elif effective is FreezeStatus.LAPSED:
            stmt = stmt.where((FreezeOrder.status == FreezeStatus.LAPSED) | lapsed)
        else:
            stmt = stmt.where(FreezeOrder.status == effective)
    if item_id is not None:
        stmt = stmt.where(FreezeOrder.item_id == item_id)
    if status is not None:
        stmt = stmt.where(FreezeOrder.status == status)
    if expiring_before is not None:
        stmt = stmt.where(
            FreezeOrder.expires_on <= expiring_before, FreezeOrder.status == FreezeStatus.ACTIVE
        )
    return stmt.order_by(FreezeOrder.expires_on, FreezeOrder.id)  # the id: a stable order across pages


# -- frozen funds per case ---------------------------------------------------------------------


@dataclass(frozen=True)
class FrozenAccount:
    """One frozen account of the case (the item that registers it) and its freezes, newest last.

    ``frozen_fen`` is what the freezes in force hold (active and not past their last day: a freeze
    lapses by itself, 程序规定 art. 240); queued freezes (轮候) hold nothing until they take effect."""

    item: Item
    frozen_fen: int
    in_force: int
    queued: int
    queued_fen: int
    ended: int
    next_end: date | None
    freezes: list[FreezeOrder]


@dataclass(frozen=True)
class FrozenFunds:
    today: date
    accounts: list[FrozenAccount]
    total_frozen_fen: int
    total_queued_fen: int
    freezes: int


def frozen_funds(session: Session, actor: Actor, case_id: int, *, today: date | None = None) -> FrozenFunds:
    """The case's frozen funds: per frozen account the amount held by the freezes in force, their end,
    renewals, queued freezes in their priority order, and those lapsed or released; the totals per
    account and for the case are SQL aggregates (no Python sum over the rows). [DESIGN]"""
    get_case(session, actor, case_id)
    today = today or local_date(utcnow())
    in_force = and_(FreezeOrder.status == FreezeStatus.ACTIVE, FreezeOrder.expires_on >= today)
    queued = FreezeOrder.status == FreezeStatus.QUEUED
    of_case = and_(Item.case_id == case_id, item_filter(actor))
    amount_in_force = func.coalesce(func.sum(case((in_force, FreezeOrder.amount_fen), else_=0)), 0)
    amount_queued = func.coalesce(func.sum(case((queued, FreezeOrder.amount_fen), else_=0)), 0)
    rows = session.execute(
        select(
            FreezeOrder.item_id,
            amount_in_force,
            func.count().filter(in_force),
            func.count().filter(queued),
            amount_queued,
            func.count().filter(~in_force & ~queued),
            func.min(case((in_force, FreezeOrder.expires_on))),
        )
        .join(Item, Item.id == FreezeOrder.item_id)
        .where(of_case)
        .group_by(FreezeOrder.item_id)
        .order_by(FreezeOrder.item_id)
    ).all()
    totals = session.execute(
        select(amount_in_force, amount_queued, func.count())
        .select_from(FreezeOrder)
        .join(Item, Item.id == FreezeOrder.item_id)
        .where(of_case)
    ).one()
    ids = [row[0] for row in rows]
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}
    listed: dict[int, list[FreezeOrder]] = {item_id: [] for item_id in ids}
    if ids:
        for order in session.scalars(
            select(FreezeOrder)
            .where(FreezeOrder.item_id.in_(ids))
            .order_by(
                FreezeOrder.item_id,
                # in force first, then the queue in its priority order, then those that ended
                case((in_force, 0), (queued, 1), else_=2),
                FreezeOrder.queue_position,
                FreezeOrder.start_on,
                FreezeOrder.id,
            )
        ):
            listed[order.item_id].append(order)
    accounts = [
        FrozenAccount(
            item=items[item_id],
            frozen_fen=int(frozen),
            in_force=int(n_force),
            queued=int(n_queued),
            queued_fen=int(q_fen),
            ended=int(n_ended),
            next_end=next_end,
            freezes=listed[item_id],
        )
        for item_id, frozen, n_force, n_queued, q_fen, n_ended, next_end in rows
    ]
    return FrozenFunds(
        today=today,
        accounts=accounts,
        total_frozen_fen=int(totals[0]),
        total_queued_fen=int(totals[1]),
        freezes=int(totals[2]),
    )
