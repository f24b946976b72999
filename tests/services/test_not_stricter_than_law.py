"""Rules that were stricter than the law and blocked lawful work (issue 12 §4), one test per rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.enums import ExternalKind, ItemCategory, LocationState, Measure, Role, TransferKind
from custody.domain.errors import InvalidInput
from custody.domain.lifecycle import CheckoutPurpose
from custody.extensions import db
from custody.services import accounts, checkouts, items, storage, transfers

from ..factories import FILED_DAYS_AGO, act, agency, location, open_case, register


def test_evidence_obtained_before_filing_may_predate_the_case_but_a_seizure_may_not(app):
    """程序规定 174 ¶2: during the pre-filing check only 调取 etc.; 查封、扣押、冻结 not before 立案."""
    case = open_case()
    before = app_clock.now() - timedelta(days=FILED_DAYS_AGO + 5)
    obtained = register(
        case, category=ItemCategory.DOCUMENTS, name="银行流水", measure=Measure.OBTAINED, seized_at=before
    )
    assert obtained.measure is Measure.OBTAINED
    with pytest.raises(InvalidInput) as seized:
        register(case, category=ItemCategory.GOODS, measure=Measure.SEIZED, seized_at=before)
    assert "seized_at" in seized.value.fields


def test_the_polices_own_staff_may_not_witness_and_the_second_officer_is_recorded(app):
    """程序规定 194 ¶2(三) (not police staff; else video and a note), 229 (at least two officers)."""
    case = open_case()
    seized = app_clock.now() - timedelta(hours=1)
    with pytest.raises(InvalidInput) as staff:
        items.create_seizure_list(
            db.session,
            act("police_officer"),
            case.id,
            items.SeizureListInput(seized_at=seized, witness="张丽"),
        )
    assert "witness" in staff.value.fields
    db.session.rollback()
    listed = items.create_seizure_list(
        db.session,
        act("police_officer"),
        case.id,
        items.SeizureListInput(
            seized_at=seized, second_officer="李警官", witness_note="现场无符合条件的见证人，已全程录音录像"
        ),
    )
    db.session.commit()
    assert listed.second_officer == "李警官"
    assert listed.witness_note.startswith("现场无")


def test_one_account_may_not_both_handle_cases_and_keep_property(app):
    """程序规定 235 ¶3: 严禁由侦查人员自行保管涉案财物."""
    with pytest.raises(InvalidInput) as both:
        accounts.create_user(
            db.session,
            None,
            username="officer_keeper",
            display_name="兼职民警",
            agency_id=agency("PDGA").id,
            roles=[Role.OFFICER, Role.KEEPER],
            password="Officer-pass-2026",
        )
    assert "roles" in both.value.fields


def _checkout(item, purpose=CheckoutPurpose.APPRAISAL, note=None):
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[item.id],
        purpose=purpose,
        counterparty=checkouts.CounterpartyInput(name="某司法鉴定所"),
        due_at=app_clock.now() + timedelta(days=3),
        note=note,
    )
    db.session.commit()
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    db.session.commit()
    return checkout


def test_items_kept_outside_can_be_checked_out_and_come_back_outside(app):
    """公安部 2015 规定 art. 11 lists purposes (讯问、鉴定、辨认、检验、检查等), not a place."""
    case = open_case()
    car = register(
        case,
        name="轿车",
        category=ItemCategory.VEHICLE,
        details={"plate": "沪C22222"},
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="浦东停车场",
    )
    checkout = _checkout(car)
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id)
    db.session.commit()
    checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition="完好")
    db.session.commit()
    assert car.location_state is LocationState.EXTERNAL
    assert car.external_place == "浦东停车场"


def test_another_purpose_is_allowed_with_its_reason(app):
    """The law says 等: "other" with the reason stated."""
    case = open_case()
    item = register(case, category=ItemCategory.GOODS)
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    with pytest.raises(InvalidInput):
        _checkout(item, CheckoutPurpose.OTHER)
    db.session.rollback()
    assert _checkout(item, CheckoutPurpose.OTHER, note="侦查实验").purpose is CheckoutPurpose.OTHER


def test_a_stage_transfer_lists_items_out_for_appraisal_or_awaiting_valuation_flagged(app):
    """刑事诉讼法 245, 程序规定 288: the list names all the property; listing needs no finished valuation."""
    case = open_case()
    ring = register(case, category=ItemCategory.VALUABLES, name="金戒指", unit="枚")
    phone = register(case)
    for item in (ring, phone):
        storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R2-S1-01").id)
    db.session.commit()
    checkout = _checkout(phone)
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id)
    db.session.commit()
    transfer = transfers.propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=[ring.id, phone.id],
    )
    db.session.commit()
    flags = {line.item_id: line.flag for line in transfer.lines}
    assert "待拍照、估价" in flags[ring.id]
    assert checkout.checkout_no in flags[phone.id]
    transfers.decide_lines(
        db.session, act("prosecutor"), transfer.id, [ring.id, phone.id], accept=True, case_no="浦检[2026]31号"
    )
    db.session.commit()
    # The phone comes back from appraisal to the keeper of whoever holds it now.
    checkouts.return_items(db.session, act("procuratorate_keeper"), checkout.id, condition="鉴定完毕，完好")
    db.session.commit()
    assert phone.location_state is LocationState.IN_STORAGE
    assert phone.custodian_agency.code == "PDJC"
