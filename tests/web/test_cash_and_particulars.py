"""Cash amounts and identifying particulars on every page and printed list (issue 18).

A cash item registered as "1 元" with ¥12,350.50 counted showed "1 元" on the 扣押清单 and the
移送清单 and "1 元, 估价 —" on the disposal pages: the approver of a confiscation never saw the
amount. The amount counted (``details.amount_fen``) is the one source of truth.
"""

from __future__ import annotations

from sqlalchemy import select

from custody.domain.enums import DispositionKind, ExternalKind, ItemCategory
from custody.extensions import db
from custody.models.lifecycle import Disposition
from custody.services import dispositions, storage

from ..factories import act, judge_case, location, open_case, register, send_to_procuratorate
from .ui import client_for, pdf_text, text

AMOUNT_FEN = 1_235_050  # ¥12,350.50


def cash(case):
    return register(
        case,
        name="人民币现金",
        category=ItemCategory.CASH,
        quantity=1,
        unit="元",
        details={"amount_fen": AMOUNT_FEN},
        features="百元券为主",
    )


def test_printed_lists_carry_the_cash_amount_imei_plate_and_where_an_external_item_is(app):
    case = open_case()
    money = cash(case)
    phone = register(case, seizure_list_id=money.seizure_list_id)  # IMEI 490154203237518
    car = register(
        case,
        seizure_list_id=money.seizure_list_id,
        name="黑色轿车",
        category=ItemCategory.VEHICLE,
        unit="辆",
        details={"plate": "沪B67890", "vin": "LSVAU2180N2123456"},
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="浦东新区川沙停车场",
    )
    officer = client_for(app, "police_officer")
    content = pdf_text(officer.get(f"/cases/{case.id}/seizure-lists/{money.seizure_list_id}.pdf").data)
    assert "12,350.50元" in content
    assert "1元" not in content.replace("12,350.50元", "")
    assert "490154203237518" in content
    assert "沪B67890" in content
    assert "LSVAU2180N2123456" in content
    assert "浦东新区川沙停车场" in content

    for item, bin_code in ((money, "R2-S1-01"), (phone, "R3-A-01")):
        storage.check_in(db.session, act("police_keeper"), item.id, location_id=location(bin_code).id)
    db.session.commit()
    transfer = send_to_procuratorate(case, [money.id, phone.id, car.id])
    content = pdf_text(officer.get(f"/transfers/{transfer.id}.pdf").data)
    assert "12,350.50元" in content
    assert "490154203237518" in content
    assert "沪B67890" in content
    assert "浦东新区川沙停车场" in content
    page = text(officer.get(f"/transfers/{transfer.id}"))
    assert "¥12,350.50" in page


def test_the_approver_of_a_cash_confiscation_sees_the_amount(app):
    case = open_case()
    money = cash(case)
    storage.check_in(db.session, act("police_keeper"), money.id, location_id=location("R2-S1-01").id)
    db.session.commit()
    judge_case(case)
    officer = client_for(app, "police_officer")
    new_page = text(officer.get(f"/dispositions/new?item_ids={money.id}"))
    assert "¥12,350.50" in new_page
    dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[money.id], kind=DispositionKind.CONFISCATE
    )
    db.session.commit()
    disposition = db.session.scalar(select(Disposition).order_by(Disposition.id.desc()))
    for username in ("police_approver", "police_keeper"):
        page = text(client_for(app, username).get(f"/dispositions/{disposition.id}"))
        assert page.count("¥12,350.50") >= 2, username  # the amount, and the value it stands for
        assert "1 元" not in page


def test_case_and_item_lists_show_the_cash_amount(app):
    case = open_case()
    cash(case)
    officer = client_for(app, "police_officer")
    assert "¥12,350.50" in text(officer.get(f"/cases/{case.id}"))
    assert "¥12,350.50" in text(officer.get(f"/items/?case_id={case.id}"))
