"""The item search finds a thing by what is written on it and its papers (issue 18 "Finding things").

Plate, VIN, IMEI, serial and registry numbers (the item's ``details``), seizure-list numbers, the case
numbers of every authority, an account number's last digits, and the owner's and holder's names —
the names only on items whose personal data the searcher sees in full (``sees_personal_data``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock
from custody.domain.enums import ItemCategory
from custody.domain.personal_data import sees_personal_data
from custody.extensions import db
from custody.models.item import Item
from custody.services.items import ItemQuery, SeizureListInput, items_query, personal_data_clause
from tests.factories import act, open_case, register
from tests.personal_data_case import ACCOUNT_NO, HOLDER, OWNER, hand_over_bank_account


def _names(q: str, username: str = "police_officer") -> set[str]:
    return {item.name for item in db.session.scalars(items_query(act(username), ItemQuery(q=q)))}


def test_search_finds_identifying_details(app):
    case = open_case()
    register(
        case,
        name="白色轿车",
        category=ItemCategory.VEHICLE,
        unit="辆",
        details={"plate": "沪A12345", "vin": "LSVAU2180N2123456", "brand_model": "帕萨特"},
    )
    register(case, name="黑色手机", details={"imei": "490154203237518", "imei2": "356938035643809"})
    register(
        case,
        name="笔记本电脑",
        category=ItemCategory.ELECTRONICS,
        unit="台",
        details={"serial_no": "C02XK0ABJGH5"},
    )
    register(
        case, name="渔船", category=ItemCategory.VESSEL, unit="艘", details={"registry_no": "沪渔(2026)001"}
    )
    assert _names("沪a123") == {"白色轿车"}  # plate, case-insensitive, non-ASCII
    assert _names("N2123456") == {"白色轿车"}  # VIN
    assert _names("203237518") == {"黑色手机"}  # IMEI
    assert _names("35693803") == {"黑色手机"}  # second IMEI
    assert _names("c02xk0") == {"笔记本电脑"}
    assert _names("渔(2026)") == {"渔船"}
    assert _names("帕萨特") == set()  # brand/model is not an identifying number


def test_search_finds_case_numbers_of_every_authority_and_list_numbers(app):
    case, item, _freeze, _correction = hand_over_bank_account()  # the procuratorate's number: 浦检[2026]N号
    other = register(open_case(police_case_no="沪公(浦)立字[2026]7777号"), name="乙物")
    assert _names("立字[2026]7777") == {"乙物"}
    assert _names(f"浦检[2026]{case.id}号", "prosecutor") == {item.name}
    assert _names(other.seizure_list.list_no) == {"乙物"}
    assert _names(item.seizure_list.list_no, "prosecutor") == {item.name}


def test_search_finds_account_tail_digits_only(app):
    case, item, _freeze, _correction = hand_over_bank_account()
    assert item.name in _names(ACCOUNT_NO[-4:])
    assert item.name in _names(ACCOUNT_NO[-4:], "prosecutor")
    # more than the printed tail (****3334) or the middle of the number reveals nothing
    assert _names(ACCOUNT_NO[-8:]) == set()
    assert _names(ACCOUNT_NO[3:7]) == set()


def test_search_by_name_only_where_the_personal_data_is_seen(app):
    case, item, _freeze, _correction = hand_over_bank_account()
    # the procuratorate holds it now: its prosecutor sees the owner and finds it by the name...
    assert _names(OWNER, "prosecutor") == {item.name}
    # ...the police officer, who sees the item with the owner masked, finds nothing by it
    assert _names(OWNER, "police_officer") == set()
    assert _names(OWNER[-2:], "police_officer") == set()
    # the holder named on the police's own seizure list: the police drew the list up, but the item
    # is no longer theirs, so the name does not find it either
    assert _names(HOLDER, "police_officer") == set()


def test_search_by_holder_name_for_the_custodian(app):
    case = open_case()
    register(
        case,
        name="金项链",
        category=ItemCategory.GOODS,
        owner_name="李四",
        seizure_list=SeizureListInput(seized_at=clock.now() - timedelta(hours=3), holder_name="王五"),
    )
    assert _names("李四") == {"金项链"}
    assert _names("王五") == {"金项链"}
    assert _names("赵六") == set()


@pytest.mark.parametrize("username", ["police_officer", "prosecutor", "judge", "auditor", "admin"])
def test_personal_data_clause_follows_sees_personal_data(app, username):
    hand_over_bank_account()
    actor = act(username)
    for item in db.session.scalars(db.select(Item)):
        in_sql = db.session.scalar(db.select(personal_data_clause(actor)).where(Item.id == item.id))
        assert bool(in_sql) is sees_personal_data(actor, item.custodian_agency_id), (username, item.name)


def test_search_through_the_api_masks_nothing_new(client, auth_headers):
    case, item, _freeze, _correction = hand_over_bank_account()
    answer = client.get("/api/v1/items", query_string={"q": OWNER}, headers=auth_headers("police_officer"))
    assert answer.status_code == 200
    assert answer.get_json() == []
    answer = client.get("/api/v1/items", query_string={"q": OWNER}, headers=auth_headers("prosecutor"))
    assert [row["label_code"] for row in answer.get_json()] == [item.label_code]


def test_the_item_list_page_and_the_ledger_filter_find_by_plate(app):
    import csv
    import io

    from tests.web.ui import client_for, text

    case = open_case()
    register(
        case,
        name="白色轿车",
        category=ItemCategory.VEHICLE,
        unit="辆",
        details={"plate": "沪B67890", "vin": "LSVAU2180N2654321"},
    )
    register(case, name="黑色手机")
    client = client_for(app, "police_approver")
    page = text(client.get("/items/", query_string={"q": "沪B678"}))
    assert "白色轿车" in page
    assert "黑色手机" not in page
    export = client.get("/oversight/ledger/export?format=csv&scope=centre&q=2654321", buffered=True)
    rows = list(csv.reader(io.StringIO(export.get_data().decode("utf-8-sig"))))
    assert [row[rows[0].index("物品名称")] for row in rows[1:]] == ["白色轿车"]
