"""Frozen funds per case (issue 13): per frozen account the amount in force, its end, renewals, queued
freezes in priority order, those lapsed or released; totals by SQL. Third-party payment accounts and
virtual assets as categories of their own. Runs on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from custody.domain import clock as app_clock
from custody.domain.enums import ExternalKind, ItemCategory, LocationState, Measure
from custody.domain.errors import InvalidInput, NotFound
from custody.domain.items import identifying_details
from custody.domain.lifecycle import FreezeStatus, freeze_expiry
from custody.extensions import db
from custody.models.lifecycle import FreezeOrder
from custody.services import freezes

from ..factories import act, open_case, register
from ..money_helpers import a_case_with_frozen_funds, bank_account, freeze, payment_account


def test_the_case_shows_per_account_what_is_frozen_queued_and_ended_with_totals(app):
    case, held, alipay, released, waiting_item, waiting = a_case_with_frozen_funds()
    funds = freezes.frozen_funds(db.session, act("police_officer"), case.id)
    by_item = {a.item.id: a for a in funds.accounts}
    assert list(by_item) == sorted([held.id, alipay.id, released.id, waiting_item.id])
    assert (funds.total_frozen_fen, funds.total_queued_fen, funds.freezes) == (1_300_000, 200_000, 4)
    main = by_item[held.id]
    assert (main.frozen_fen, main.in_force, main.queued, main.ended) == (1_000_000, 1, 0, 0)
    [order] = main.freezes
    assert len(order.renewals) == 1
    assert main.next_end == order.expires_on
    assert by_item[alipay.id].frozen_fen == 300_000
    assert (by_item[released.id].frozen_fen, by_item[released.id].ended) == (0, 1)
    queue = by_item[waiting_item.id]
    assert (queue.frozen_fen, queue.queued, queue.queued_fen, queue.next_end) == (0, 1, 200_000, None)
    assert queue.freezes[0].queue_position == 2  # behind the other case's freeze
    # the other case's freeze of the shared account is not this case's money
    assert 700_000 not in [a.frozen_fen for a in funds.accounts]


@pytest.mark.live_rows_diverge(reason="moves a freeze's dates back outside the application")
def test_a_freeze_past_its_last_day_counts_as_lapsed_before_the_lapse_is_recorded(app):
    case = open_case()
    item = bank_account(case, "6222021001120000009")
    order = freeze(item, "6222021001120000009", 80_000)
    start = app_clock.today() - timedelta(days=200)
    db.session.execute(
        update(FreezeOrder)
        .where(FreezeOrder.id == order.id)
        .values(start_on=start, expires_on=freeze_expiry(start, 6))
    )
    db.session.commit()
    funds = freezes.frozen_funds(db.session, act("police_officer"), case.id)
    [account] = funds.accounts
    assert (funds.total_frozen_fen, account.frozen_fen, account.ended, account.next_end) == (0, 0, 1, None)
    assert order.status is FreezeStatus.ACTIVE  # not yet recorded: the view does not depend on the cron


def test_the_totals_are_sql_aggregates_the_queries_do_not_grow_with_the_freezes(app):
    def statements(case_id):
        db.session.expire_all()
        seen = []
        listener = lambda *args: seen.append(args[2]) if args[2].lstrip().startswith("SELECT") else None  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            freezes.frozen_funds(db.session, act("police_officer"), case_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return seen

    small = open_case()
    freeze(bank_account(small, "6222021001121000001"), "6222021001121000001", 1)
    large = open_case()
    for n in range(6):
        no = f"62220210011220000{n:02d}"
        freeze(bank_account(large, no), no, 10 + n)
    # one query each: the case, the per-account aggregates, the case's totals, the items, the freezes,
    # their renewals — however many freezes there are
    assert len(statements(large.id)) == len(statements(small.id))
    assert freezes.frozen_funds(db.session, act("police_officer"), large.id).total_frozen_fen == sum(
        10 + n for n in range(6)
    )


def test_the_frozen_funds_of_a_case_are_shown_only_to_those_who_see_the_case(app):
    case, *_ = a_case_with_frozen_funds()
    with pytest.raises(NotFound):
        freezes.frozen_funds(db.session, act("court_keeper"), case.id)


def test_a_third_party_payment_account_has_its_platform_and_account_id_and_is_kept_there(app):
    case = open_case()
    alipay = payment_account(case)
    assert alipay.location_state is LocationState.EXTERNAL
    assert alipay.external_kind is ExternalKind.OTHER
    assert alipay.external_place == "支付宝"
    assert identifying_details(ItemCategory.PAYMENT_ACCOUNT, alipay.details) == [
        ("platform", "支付宝"),
        ("account_id", "****ipay"),
    ]
    with pytest.raises(InvalidInput) as missing:
        register(
            case, name="微信零钱", category=ItemCategory.PAYMENT_ACCOUNT, details={"platform": "微信支付"}
        )
    assert "details.account_id" in missing.value.fields


def test_a_virtual_asset_has_currency_wallet_and_an_exact_quantity_and_is_not_frozen(app):
    case = open_case()
    wallet = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
    coins = register(
        case,
        name="USDT",
        category=ItemCategory.VIRTUAL_ASSET,
        details={"currency": "USDT", "wallet_address": wallet, "units": "15200.123456", "chain": "TRC20"},
    )
    assert coins.location_state is LocationState.EXTERNAL
    assert coins.external_place == wallet
    for bad in ({"units": "-1"}, {"units": "0"}, {"units": "1e5"}, {"wallet_address": "短地址"}):
        db.session.rollback()
        with pytest.raises(InvalidInput):
            register(
                case,
                name="BTC",
                category=ItemCategory.VIRTUAL_ASSET,
                details={"currency": "BTC", "wallet_address": wallet, "units": "0.5", **bad},
            )
    db.session.rollback()
    with pytest.raises(InvalidInput) as not_freezable:  # [DESIGN] seized (扣押) into a wallet, not frozen
        register(
            case,
            name="USDT",
            category=ItemCategory.VIRTUAL_ASSET,
            measure=Measure.FROZEN,
            details={"currency": "USDT", "wallet_address": wallet, "units": "1"},
        )
    assert "measure" in not_freezable.value.fields
