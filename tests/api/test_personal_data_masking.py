"""Personal data in the API is masked by the same rule and function as the pages (issue 14).

The police registered a frozen bank account (owner, account number and holder name) and handed it
to the procuratorate, which now holds it. The police still see the case (they held it), but no
longer the owner's or the account's personal data; the procuratorate and auditors see it in full.
``domain.personal_data.sees_personal_data`` decides, ``shown``/``masked`` mask.
"""

from __future__ import annotations

import pytest

from custody.extensions import db
from custody.services import corrections
from tests.factories import act
from tests.personal_data_case import ACCOUNT_NO, HOLDER, ID_NO, OWNER, PHONE, hand_over_bank_account


@pytest.fixture
def handed_over(app):
    return hand_over_bank_account()


def everything(data) -> str:
    return str(data)


def test_item_api_masks_personal_data_outside_the_custodian_agency(client, auth_headers, handed_over):
    _, item, _, _ = handed_over
    police = client.get(f"/api/v1/items/{item.id}", headers=auth_headers("police_officer"))
    assert police.status_code == 200
    body = police.get_json()
    assert body["owner"] == {
        "name": "欧**娜",
        "id_no": "310***********1234",
        "contact": "138****5678",
        "ownership_clear": False,
    }
    assert body["details"]["account_no"] == "622************3334"
    assert body["details"]["account_name"] == "欧**娜"
    assert body["details"]["bank"] == "中国工商银行上海浦东分行"  # not personal data
    assert body["freezes"][0]["account_no"] == "622************3334"
    assert body["freezes"][0]["account_name"] == "欧**娜"
    assert body["corrections"][0]["new_value"] == "310***********5678"
    text = everything(body)
    for secret in (OWNER, ID_NO, PHONE, ACCOUNT_NO, "310115199001015678"):
        assert secret not in text, secret

    for username in ("prosecutor", "auditor"):
        full = client.get(f"/api/v1/items/{item.id}", headers=auth_headers(username)).get_json()
        assert full["owner"]["name"] == OWNER
        assert full["owner"]["id_no"] == ID_NO
        assert full["owner"]["contact"] == PHONE
        assert full["details"]["account_no"] == ACCOUNT_NO
        assert full["freezes"][0]["account_no"] == ACCOUNT_NO
        assert full["corrections"][0]["new_value"] == "310115199001015678"


def test_item_lists_mask_owner_names_for_everyone(client, auth_headers, handed_over):
    for username in ("police_officer", "prosecutor"):
        rows = client.get("/api/v1/items", headers=auth_headers(username)).get_json()
        assert {row["owner_name"] for row in rows} == {"欧**娜"}


def test_correction_api_masks_owner_name_and_numbers(client, auth_headers, handed_over):
    _, item, _, correction = handed_over
    police = client.get(f"/api/v1/corrections/{correction.id}", headers=auth_headers("police_officer"))
    assert police.status_code == 200
    assert police.get_json()["old_value"] == "310***********1234"
    assert police.get_json()["new_value"] == "310***********5678"
    own = client.get(f"/api/v1/corrections/{correction.id}", headers=auth_headers("prosecutor")).get_json()
    assert own["old_value"] == ID_NO
    assert own["new_value"] == "310115199001015678"
    # A correction of the owner's name, and of the account in the details, masks those too.
    name = corrections.propose_correction(
        db.session,
        act("prosecutor"),
        item_id=item.id,
        field="owner_name",
        new_value="欧阳娜",
        reason="姓名有误",
    )
    details = corrections.propose_correction(
        db.session,
        act("prosecutor"),
        item_id=item.id,
        field="details",
        new_value={"bank": "中国工商银行上海浦东分行", "account_no": "6222021001112220000"},
        reason="账号有误",
    )
    db.session.commit()
    headers = auth_headers("police_officer")
    named = client.get(f"/api/v1/corrections/{name.id}", headers=headers).get_json()
    assert (named["old_value"], named["new_value"]) == ("欧**娜", "欧*娜")
    detailed = client.get(f"/api/v1/corrections/{details.id}", headers=headers).get_json()
    assert detailed["old_value"]["account_no"] == "622************3334"
    assert detailed["new_value"]["account_no"] == "622************0000"
    assert detailed["new_value"]["bank"] == "中国工商银行上海浦东分行"


def test_freeze_and_seizure_list_apis_mask_accounts_and_holders(client, auth_headers, handed_over):
    case, _, freeze, _ = handed_over
    police = auth_headers("police_officer")
    prosecutor = auth_headers("prosecutor")
    masked_freeze = client.get(f"/api/v1/freezes/{freeze.id}", headers=police).get_json()
    assert masked_freeze["account_no"] == "622************3334"
    assert masked_freeze["account_name"] == "欧**娜"
    assert (
        client.get(f"/api/v1/freezes/{freeze.id}", headers=prosecutor).get_json()["account_no"] == ACCOUNT_NO
    )
    # The seizure list is the police's document: they see the holder in full, the procuratorate not.
    lists = client.get(f"/api/v1/cases/{case.id}/seizure-lists", headers=police).get_json()
    assert [sl["holder_name"] for sl in lists] == [HOLDER]
    lists = client.get(f"/api/v1/cases/{case.id}/seizure-lists", headers=prosecutor).get_json()
    assert [sl["holder_name"] for sl in lists] == ["张*丰"]
