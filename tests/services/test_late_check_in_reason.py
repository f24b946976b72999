"""A late police check-in says why, on the spot (issue 18): a police item handed to the keeper more than
24 hours after its seizure needs ``late_reason`` (422 ``check_in.late_reason``), recorded in its check-in
event; an item on time, or another agency's item (which has no hour limit), needs none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.cases import CaseOrigin
from custody.domain.deadlines import check_late_reason, late_hand_over
from custody.domain.enums import AgencyKind
from custody.domain.errors import InvalidInput
from custody.extensions import db
from custody.models.receipt import CheckInReceipt
from custody.services import cases, storage

from ..factories import act, location, open_case, register
from ..helpers import events, row_counts


def test_the_rule_late_only_for_the_police_after_the_24_hours():
    seized = app_clock.now()
    assert late_hand_over(AgencyKind.POLICE, seized, seized + timedelta(hours=24, seconds=1))
    assert not late_hand_over(AgencyKind.POLICE, seized, seized + timedelta(hours=24))
    assert not late_hand_over(AgencyKind.PROCURATORATE, seized, seized + timedelta(days=5))
    assert check_late_reason(False, None, "X") is None
    assert check_late_reason(True, "  夜间扣押，\n次日移交 ", "X") == "夜间扣押， 次日移交"
    for missing in (None, "", "   "):
        with pytest.raises(InvalidInput) as refused:
            check_late_reason(True, missing, "PDGA-2026-000007")
        assert refused.value.code == "check_in.late_reason"
        assert "late_reason" in refused.value.fields
        assert "PDGA-2026-000007" in str(refused.value)


def test_a_late_batch_asks_why_and_records_it_on_the_late_items_only(app):
    case = open_case()
    on_time = register(case, name="白色手机")
    late = register(case, name="迟到的手机", seized_at=app_clock.now() - timedelta(hours=30))
    codes = [on_time.label_code, late.label_code]
    before = row_counts(CheckInReceipt)
    with pytest.raises(InvalidInput) as refused:
        storage.check_in_batch(db.session, act("police_keeper"), codes, location_id=location("R3-A-01").id)
    assert refused.value.code == "check_in.late_reason"
    assert late.label_code in str(refused.value)
    assert on_time.label_code not in str(refused.value)
    assert refused.value.extra["late_label_codes"] == [late.label_code]
    db.session.rollback()
    assert row_counts(CheckInReceipt) == before
    assert not events("item.check_in")
    storage.check_in_batch(
        db.session,
        act("police_keeper"),
        codes,
        location_id=location("R3-A-01").id,
        late_reason="夜间扣押，次日移交",
    )
    db.session.commit()
    recorded = {event.item_id: event.data for event in events("item.check_in")}
    assert recorded[late.id]["late_reason"] == "夜间扣押，次日移交"
    assert recorded[late.id]["into_storage"]["late"] is True
    assert "late_reason" not in recorded[on_time.id]


def test_an_on_time_batch_needs_no_reason(app):
    item = register(open_case())
    storage.check_in_batch(
        db.session, act("police_keeper"), [item.label_code], location_id=location("R3-A-01").id
    )
    db.session.commit()
    assert "late_reason" not in events("item.check_in", item_id=item.id)[0].data


def test_a_single_late_check_in_asks_too(app):
    item = register(open_case(), seized_at=app_clock.now() - timedelta(hours=25))
    with pytest.raises(InvalidInput) as refused:
        storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R3-A-01").id)
    assert refused.value.code == "check_in.late_reason"
    db.session.rollback()
    storage.check_in(
        db.session, act("police_keeper"), item.id, location_id=location("R3-A-01").id, late_reason="路途较远"
    )
    db.session.commit()
    assert events("item.check_in", item_id=item.id)[0].data["late_reason"] == "路途较远"


def test_the_procuratorates_item_has_no_hour_limit_and_needs_no_reason(app):
    case = cases.open_case(
        db.session,
        act("prosecutor"),
        origin=CaseOrigin.PROCURATORATE_INVESTIGATION,
        case_no="浦检刑侦[2026]77号",
        title="某受贿案",
        filed_on=app_clock.today() - timedelta(days=5),
    )
    db.session.commit()
    item = register(case, name="账册", username="prosecutor", seized_at=app_clock.now() - timedelta(days=3))
    storage.check_in(db.session, act("procuratorate_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    assert "late_reason" not in events("item.check_in", item_id=item.id)[0].data


def test_a_back_dated_hand_over_within_the_24_hours_needs_no_late_reason(app):
    """Handed over in time but recorded later: the back-dating reason says why the record is late."""
    item = register(open_case(), seized_at=app_clock.now() - timedelta(hours=30))
    storage.check_in(
        db.session,
        act("police_keeper"),
        item.id,
        location_id=location("R3-A-01").id,
        occurred_at=app_clock.now() - timedelta(hours=20),
        reason="系统故障，补录入库",
    )
    db.session.commit()
    data = events("item.check_in", item_id=item.id)[0].data
    assert "late_reason" not in data
    assert data["into_storage"]["late"] is True
