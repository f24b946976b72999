"""Item rules without a database: derived status, transitions, category fields, times, masking."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from custody.domain.enums import (
    CustodyState,
    DispositionStatus,
    ExternalKind,
    ItemCategory,
    ItemStatus,
    LocationState,
    Measure,
)
from custody.domain.errors import Conflict, InvalidInput
from custody.domain.items import (
    ItemFacts,
    Registration,
    check_in_allowed,
    check_occurred_at,
    check_registration,
    clean_details,
    derive_status,
    external_allowed,
    initial_location,
    luhn_ok,
    move_allowed,
    parse_quantity,
)
from custody.domain.personal_data import mask_name, mask_number

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
ALL_FACTS = [
    ItemFacts(c, loc, d) for c, loc, d in itertools.product(CustodyState, LocationState, DispositionStatus)
]


@pytest.mark.parametrize(
    "facts", ALL_FACTS, ids=lambda f: f"{f.custody_state}-{f.location_state}-{f.disposition_status}"
)
def test_derived_status_priority(facts):
    status = derive_status(facts)
    if facts.disposition_status is DispositionStatus.EXECUTED or facts.location_state is LocationState.GONE:
        assert status is ItemStatus.DISPOSED
    elif facts.custody_state is CustodyState.IN_TRANSFER:
        assert status is ItemStatus.IN_TRANSFER
    elif facts.disposition_status is not DispositionStatus.NONE:
        assert status is ItemStatus.DISPOSAL_PENDING
    else:
        assert status.value == facts.location_state.value


def held(
    location: LocationState, disposition: DispositionStatus = DispositionStatus.NONE, loc_id=None
) -> ItemFacts:
    return ItemFacts(CustodyState.HELD, location, disposition, loc_id)


def test_check_in_only_from_awaiting_or_outside():
    check_in_allowed(held(LocationState.AWAITING_CHECK_IN))
    for location in (LocationState.WITH_HOLDER, LocationState.EXTERNAL):
        with pytest.raises(Conflict) as kept_outside:  # never as a side effect
            check_in_allowed(held(location))
        assert kept_outside.value.code == "item.kept_outside"
        with pytest.raises(InvalidInput):  # brought in deliberately: with a reason
            check_in_allowed(held(location), bring_in=True, reason=" ")
        check_in_allowed(held(location), bring_in=True, reason="停车场到期")
    for location in (LocationState.IN_STORAGE, LocationState.CHECKED_OUT):
        with pytest.raises(Conflict):
            check_in_allowed(held(location))
    with pytest.raises(Conflict, match="disposed"):
        check_in_allowed(held(LocationState.AWAITING_CHECK_IN, DispositionStatus.EXECUTED))
    with pytest.raises(Conflict) as in_transfer:
        check_in_allowed(
            ItemFacts(CustodyState.IN_TRANSFER, LocationState.AWAITING_CHECK_IN, DispositionStatus.NONE)
        )
    assert in_transfer.value.code == "item.in_transfer"


def test_move_and_external_rules():
    move_allowed(held(LocationState.IN_STORAGE, loc_id=3), 4)
    with pytest.raises(Conflict, match="already"):
        move_allowed(held(LocationState.IN_STORAGE, loc_id=3), 3)
    with pytest.raises(Conflict):
        move_allowed(held(LocationState.AWAITING_CHECK_IN), 4)
    external_allowed(held(LocationState.IN_STORAGE))
    with pytest.raises(Conflict):
        external_allowed(held(LocationState.CHECKED_OUT))


def test_initial_location_follows_the_measure():
    assert initial_location(Measure.SEIZED, None) is LocationState.AWAITING_CHECK_IN
    assert initial_location(Measure.REGISTERED_KEPT, None) is LocationState.WITH_HOLDER
    assert initial_location(Measure.SEIZED, ExternalKind.IMPOUND_LOT) is LocationState.EXTERNAL


def test_occurred_at_rules():
    check_occurred_at(NOW, NOW, None)
    check_occurred_at(NOW - timedelta(minutes=9), NOW, None)
    with pytest.raises(InvalidInput) as backdated:
        check_occurred_at(NOW - timedelta(hours=3), NOW, None)
    assert "reason" in backdated.value.fields
    check_occurred_at(NOW - timedelta(hours=3), NOW, "补录：系统停机")
    with pytest.raises(InvalidInput):
        check_occurred_at(NOW + timedelta(minutes=5), NOW, "x")
    with pytest.raises(InvalidInput):
        check_occurred_at(NOW - timedelta(hours=3), NOW, "x", not_before=NOW - timedelta(hours=1))


def registration(**kwargs) -> Registration:
    base = dict(
        name="现金",
        category=ItemCategory.CASH,
        quantity=Decimal(1),
        unit="捆",
        measure=Measure.SEIZED,
        measure_doc_no="X",
        measure_date=date(2026, 11, 25),
        seized_at=NOW - timedelta(hours=1),
        estimated_value_fen=None,
        details={"amount_fen": 1_250_000, "denominations": {"10000": 125}},
    )
    base.update(kwargs)
    return Registration(**base)


def test_registration_rules():
    assert (
        check_registration(registration(), case_filed_on=date(2026, 11, 20), now=NOW)["amount_fen"]
        == 1_250_000
    )
    cases = [
        ({"quantity": Decimal(0)}, "quantity"),
        ({"estimated_value_fen": -1}, "estimated_value_fen"),
        ({"seized_at": NOW + timedelta(hours=1)}, "seized_at"),
        (
            {"seized_at": datetime(2026, 11, 19, 15, 0, tzinfo=UTC)},
            "seized_at",
        ),  # 23:00 on the 19th in Shanghai
        ({"details": {"amount_fen": 100, "denominations": {"10000": 1}}}, "details.denominations"),
        ({"measure": Measure.FROZEN}, "measure"),
        ({"name": "  "}, "name"),
    ]
    for change, field in cases:
        with pytest.raises(InvalidInput) as refused:
            check_registration(registration(**change), case_filed_on=date(2026, 11, 20), now=NOW)
        assert field in refused.value.fields, change


def test_seizure_on_the_local_filing_day_is_allowed():
    # 01:00 on the 20th in Shanghai is still the 19th in UTC: the local date counts.
    early = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    check_registration(
        registration(seized_at=early, measure_date=date(2026, 11, 20)),
        case_filed_on=date(2026, 11, 20),
        now=NOW,
    )


@pytest.mark.parametrize(
    ("category", "details", "bad_field"),
    [
        (ItemCategory.PHONE, {"imei": "490154203237518"}, None),
        (ItemCategory.PHONE, {"imei": "490154203237519"}, None),  # bad check digit: a warning only
        (ItemCategory.PHONE, {"imei": "49015420323751X"}, "details.imei"),
        (ItemCategory.PHONE, {"imei": "4901542032"}, "details.imei"),
        (ItemCategory.VEHICLE, {"plate": "沪A12345"}, None),
        (ItemCategory.VEHICLE, {"vin": "lsvag2180e2100001"}, None),
        (ItemCategory.VEHICLE, {"vin": "LSVAG2180E21000O1"}, "details.vin"),
        (ItemCategory.VEHICLE, {"plate": "ABC"}, "details.plate"),
        (ItemCategory.VEHICLE, {}, "details.vin"),
        (ItemCategory.BANK_ACCOUNT, {"bank": "工商银行浦东支行", "account_no": "6222021001122334455"}, None),
        (ItemCategory.BANK_ACCOUNT, {"bank": "工商银行"}, "details.account_no"),
        (ItemCategory.CASH, {"amount_fen": 5000}, None),
        (ItemCategory.CASH, {"amount_fen": 50.5}, "details.amount_fen"),
        (ItemCategory.CASH, {"amount_fen": 700, "denominations": {"300": 2}}, "details.denominations"),
        (ItemCategory.REAL_ESTATE, {"address": "浦东新区世纪大道1号"}, None),
        (ItemCategory.GOODS, {"colour": "红"}, "details.colour"),
    ],
)
def test_category_details(category, details, bad_field):
    cleaned, errors = clean_details(category, details)
    if bad_field is None:
        assert errors == {}
        if "vin" in details:
            assert cleaned["vin"] == details["vin"].upper()
    else:
        assert bad_field in errors


def test_luhn_and_quantity_and_masking():
    assert luhn_ok("490154203237518")
    assert not luhn_ok("490154203237517")
    assert parse_quantity("2.5") == Decimal("2.5")
    with pytest.raises(InvalidInput):
        parse_quantity("2.5555")
    with pytest.raises(InvalidInput):
        parse_quantity("many")
    assert mask_number("310115199001011234") == "310***********1234"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
