"""Polish from issue 18 "The working day": what a user would notice.

- the registration form starts with no category and no holder-signature answer chosen;
- locations are listed in natural order (R1, R2, R10; 一/二/十);
- no 打印标签 on a disposed item's page;
- the same photo (same SHA-256) is not attached twice to an item (409, with a clear message);
- an IMEI with a wrong check digit is accepted, with a warning.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import current_app

from custody.domain.enums import AttachmentKind, DispositionKind, ItemCategory, StorageKind
from custody.domain.errors import Conflict
from custody.domain.items import detail_warnings
from custody.domain.ordering import chinese_number, natural_key
from custody.extensions import db
from custody.services import accounts, dispositions, items

from ..factories import act, judge_case, location, open_case, photo, png_bytes, register, stored_items
from .ui import client_for, post, text, zh

BAD_IMEI = "490154203237519"  # the check digit should be 8


def _selected(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return re.findall(r'<option selected value="([^"]*)"', select.group(1))


def test_the_registration_form_assumes_no_category_and_no_signature(app):
    case = open_case()
    officer = client_for(app, "police_officer")
    page = officer.get(f"/cases/{case.id}/items/new").get_data(as_text=True)
    assert _selected(page, "category") == [""]
    assert _selected(page, "holder_signature") == [""]
    # a new list without saying whether the holder signed is sent back, with the question
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {"seizure_list_id": "0", "name": "铁锤", "category": "goods", "quantity": "1", "unit": "把"},
    )
    assert response.status_code == 422
    assert zh("Say whether the holder signed the new seizure list.") in text(response)
    # ...and without a category: asked for, never recorded as cash
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {"seizure_list_id": "0", "holder_signature": "signed", "name": "铁锤", "quantity": "1", "unit": "把"},
    )
    assert response.status_code == 422


def test_natural_order_of_location_names():
    names = ["R10", "R2", "R1", "十号库房", "二号库房", "一号库房", "三号库房", "A10格", "A2格"]
    assert sorted(names, key=natural_key) == [
        "一号库房",
        "二号库房",
        "三号库房",
        "十号库房",
        "A2格",
        "A10格",
        "R1",
        "R2",
        "R10",
    ]
    assert [chinese_number(n) for n in ("一", "十", "十二", "二十三", "一百零五", "二〇二六")] == [
        1,
        10,
        12,
        23,
        105,
        2026,
    ]


def test_the_check_in_page_lists_locations_in_natural_order(app):
    keeper = client_for(app, "police_keeper")
    case, [item] = stored_items(1)
    centre_id = location("R3-A-01").centre_id
    for code, name in (("R10", "十号库房"), ("R11", "二号库房（补）")):
        accounts.create_location(
            db.session, None, centre_id=centre_id, kind=StorageKind.ROOM, code=code, name=name
        )
    db.session.commit()
    page = keeper.get(f"/storage/items/{item.id}/move").get_data(as_text=True)
    paths = re.findall(r'<option[^>]*value="\d+"[^>]*>([^<]*)</option>', page)
    assert paths, page[:500]
    shown = [path.split(" · ", 1)[-1] for path in paths]
    assert shown == sorted(shown, key=natural_key)
    rooms = [path.split(" › ")[1] for path in shown if path.count(" › ") == 1]
    # by text 三 (U+4E09) sorts before 二 (U+4E8C); by number 二 < 三 < 十
    assert rooms.index("二号库房（补）") < rooms.index("三号库房（电子产品）") < rooms.index("十号库房")


def _dispose(item):
    disposition = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.CONFISCATE
    )
    db.session.commit()
    dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=True)
    db.session.commit()
    dispositions.execute_disposition(
        db.session, act("police_keeper"), disposition.id, receipt_no="国库回执 7"
    )
    db.session.commit()


def test_no_print_label_on_a_disposed_item(app):
    case, [item, kept] = stored_items(2)
    judge_case(case)
    _dispose(item)
    officer = client_for(app, "police_officer")
    assert zh("Print label") not in text(officer.get(f"/items/{item.id}"))
    assert zh("Print label") in text(officer.get(f"/items/{kept.id}"))


def test_the_same_photo_is_not_attached_twice(app):
    case = open_case()
    item = register(case)
    photo(item)
    with pytest.raises(Conflict) as twice:
        items.add_attachment(
            db.session,
            act("police_officer"),
            item.id,
            filename="again.png",
            content=png_bytes(),
            declared_type="image/png",
            kind=AttachmentKind.PHOTO,
            upload_dir=Path(current_app.config["CUSTODY_UPLOAD_DIR"]),
        )
    assert twice.value.code == "attachment.duplicate"
    assert twice.value.status == 409
    db.session.rollback()
    # another picture is welcome, and the same picture on another item too
    photo_of_other = register(case, name="另一部手机", details={"imei": "356938035643809"})
    photo(photo_of_other)
    officer = client_for(app, "police_officer")
    response = post(
        officer,
        f"/items/{item.id}",
        {"kind": "photo", "file": (io.BytesIO(png_bytes()), "again.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert zh("This file is already attached to the item (as %(filename)s).", filename="photo.png") in text(
        response
    )


def test_an_imei_with_a_wrong_check_digit_is_accepted_with_a_warning(app):
    assert detail_warnings(ItemCategory.PHONE, {"imei": BAD_IMEI}) == [("imei", BAD_IMEI)]
    assert detail_warnings(ItemCategory.PHONE, {"imei": "490154203237518"}) == []
    assert detail_warnings(ItemCategory.GOODS, {"imei": BAD_IMEI}) == []
    case = open_case()
    item = register(case, name="山寨手机", details={"imei": BAD_IMEI})  # accepted
    assert item.details["imei"] == BAD_IMEI
    warning = zh(
        "IMEI %(imei)s fails its check digit: check the number typed against the phone; "
        "a counterfeit phone may carry such a number.",
        imei=BAD_IMEI,
    )
    assert warning in text(client_for(app, "police_officer").get(f"/items/{item.id}"))


def test_the_api_names_the_imei_warning(client, auth_headers):
    case = open_case()
    body = {
        "name": "山寨手机",
        "category": "phone",
        "quantity": "1",
        "unit": "部",
        "measure": "seized",
        "measure_doc_no": "沪公(浦)扣字[2026]88号",
        "details": {"imei": BAD_IMEI},
    }
    created = client.post(f"/api/v1/cases/{case.id}/items", json=body, headers=auth_headers("police_officer"))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["warnings"] == ["details.imei.check_digit"]
    good = register(case)
    answer = client.get(f"/api/v1/items/{good.id}", headers=auth_headers("police_officer"))
    assert answer.get_json()["warnings"] == []
