"""当事人查询: the public page shows the owner's items and nothing else, refuses wrong codes and
other people's lists, and stops brute force with a database-backed rate limit."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from custody.domain import clock as app_clock
from custody.domain.actor import Origin
from custody.domain.enums import ItemCategory, Outcome
from custody.domain.owner_lookup import CODE_ALPHABET, CODE_LENGTH, MAX_FAILURES, LookupOutcome, format_code
from custody.extensions import db
from custody.models.case import SeizureList
from custody.models.oversight import OwnerLookupAttempt
from custody.services import owner_lookup
from custody.services.items import ItemInput, SeizureListInput, create_seizure_list, register_item

from ..conftest import build_app
from ..factories import act, location, open_case
from ..helpers import events
from .ui import lookup


@pytest.fixture
def lists(app):
    """Two seizure lists of one case: 张三's (two items, one stored) and 李四's (one item)."""
    from custody.services import storage

    case = open_case("张三、李四诈骗案")
    officer = act("police_officer")
    seized_at = app_clock.now() - timedelta(hours=3)
    mine = create_seizure_list(
        db.session,
        officer,
        case.id,
        SeizureListInput(
            seized_at=seized_at,
            place="浦东新区某小区",
            holder_name="张三",
            holder_id_no="310115198001011234",
            holder_contact="13800000000",
        ),
    )
    theirs = create_seizure_list(
        db.session,
        officer,
        case.id,
        SeizureListInput(seized_at=seized_at, holder_name="李四", holder_id_no="310115199002022345"),
    )
    db.session.flush()
    phone = register_item(
        db.session,
        officer,
        case.id,
        ItemInput(
            name="黑色苹果手机",
            category=ItemCategory.PHONE,
            quantity=1,
            unit="部",
            seizure_list_id=mine.id,
            seized_at=seized_at,
            estimated_value_fen=650_000,
            owner_name="张三",
            owner_id_no="310115198001011234",
            features="屏幕左上角有裂痕",
            details={"imei": "490154203237518"},
        ),
    )
    watch = register_item(
        db.session,
        officer,
        case.id,
        ItemInput(
            name="金色手表",
            category=ItemCategory.VALUABLES,
            quantity=1,
            unit="块",
            seizure_list_id=mine.id,
            seized_at=seized_at,
        ),
    )
    ring = register_item(
        db.session,
        officer,
        case.id,
        ItemInput(
            name="钻石戒指",
            category=ItemCategory.VALUABLES,
            quantity=1,
            unit="枚",
            seizure_list_id=theirs.id,
            seized_at=seized_at,
        ),
    )
    db.session.commit()
    storage.check_in(db.session, act("police_keeper"), phone.id, location_id=location("R2-S1-01").id)
    db.session.commit()
    return {"case": case, "mine": mine, "theirs": theirs, "phone": phone, "watch": watch, "ring": ring}


def test_the_page_is_public_and_shows_only_the_owners_items(client, lists):
    page = client.get("/lookup")
    assert page.status_code == 200
    assert 'name="list_no"' in page.get_data(as_text=True)
    mine = lists["mine"]
    response = lookup(client, mine.list_no.lower(), " " + mine.verification_code.lower() + " ")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert response.headers["Cache-Control"] == "no-store"
    assert "黑色苹果手机" in html
    assert "金色手表" in html
    assert "浦东公安分局" in html  # the agency responsible
    # Nothing beyond the owner's items: not the other list, no person, no case, no codes or values.
    for secret in (
        "钻石戒指",
        lists["theirs"].list_no,
        "张三",
        "李四",
        "310115",
        "13800000000",
        "诈骗案",
        lists["case"].police_case_no,
        lists["phone"].label_code,
        "490154203237518",
        "6,500",
        "6500",
        "裂痕",
        "保险柜",
        "R2-S1",
        mine.verification_code,
        "浦东新区某小区",
    ):
        # The list's own number (echoed in the form) ends like a label code: look past it.
        assert secret not in re.sub(re.escape(mine.list_no), "", html, flags=re.IGNORECASE), secret
    [event] = events("owner.lookup")
    assert event.outcome is Outcome.SUCCESS
    assert event.actor is None
    assert event.origin_ip == "10.0.0.1"
    assert event.data == {"list_no": mine.list_no, "result": "success", "items": 2}


def test_wrong_code_and_someone_elses_list_are_refused_alike(client, lists):
    mine, theirs = lists["mine"], lists["theirs"]
    wrong = lookup(client, mine.list_no, "ZZZZZZZZ")
    other = lookup(client, theirs.list_no, mine.verification_code)
    unknown = lookup(client, "QD-PDGA-2026-99999", mine.verification_code)
    for response in (wrong, other, unknown):
        html = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "钻石戒指" not in html
        assert "黑色苹果手机" not in html
    assert wrong.get_data(as_text=True).count("flash-error") == other.get_data(as_text=True).count(
        "flash-error"
    )
    assert [e.outcome for e in events("owner.lookup")] == [Outcome.FAILURE] * 3


def test_brute_force_is_stopped_per_address(client, lists):
    mine = lists["mine"]
    for n in range(5):
        assert lookup(client, mine.list_no, f"WRONG{n:03d}", ip="10.9.9.9").status_code == 404
    # The right code no longer helps from this address ...
    limited = lookup(client, mine.list_no, mine.verification_code, ip="10.9.9.9")
    assert limited.status_code == 429
    assert "黑色苹果手机" not in limited.get_data(as_text=True)
    # ... nor for another list from the same address.
    assert (
        lookup(client, lists["theirs"].list_no, lists["theirs"].verification_code, ip="10.9.9.9").status_code
        == 429
    )
    assert events("owner.lookup")[-1].outcome is Outcome.DENIED


def test_strangers_wrong_guesses_do_not_lock_the_owner_out(client, lists):
    """No limit per list number: guesses from many addresses cannot deny the owner their lookup."""
    mine = lists["mine"]
    for n in range(3 * MAX_FAILURES):
        assert lookup(client, mine.list_no, f"WRONG{n:03d}", ip=f"10.1.1.{n}").status_code == 404
    owner = lookup(client, mine.list_no, format_code(mine.verification_code), ip="10.2.2.2")
    assert owner.status_code == 200
    assert "黑色苹果手机" in owner.get_data(as_text=True)
    # The attempts live in the database (shared by every worker).
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OwnerLookupAttempt)) == 3 * MAX_FAILURES + 1


def test_codes_are_long_enough_that_guessing_is_hopeless(lists):
    """16 characters from a 31-letter alphabet: 79 bits, each list its own code."""
    codes = {sl.verification_code for sl in (lists["mine"], lists["theirs"])}
    assert len(codes) == 2
    for code in codes:
        assert len(code) == CODE_LENGTH == 16
        assert set(code) <= set(CODE_ALPHABET)
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) > 79


def test_x_forwarded_for_is_ignored_unless_a_proxy_is_configured(client, lists, tmp_path, database_url):
    """Without CUSTODY_TRUSTED_PROXIES, a client cannot escape the address limit by claiming another
    address; behind a configured proxy the forwarded address is the client's."""
    mine = lists["mine"]
    for n in range(MAX_FAILURES):
        response = client.post(
            "/api/v1/owner-lookup",
            json={"list_no": mine.list_no, "code": f"BAD{n}"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        assert response.status_code == 404
    spoofed = client.post(
        "/api/v1/owner-lookup",
        json={"list_no": mine.list_no, "code": mine.verification_code},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )
    assert spoofed.status_code == 429
    proxied = build_app(database_url, tmp_path / "proxied", CUSTODY_TRUSTED_PROXIES=1).test_client()
    behind_proxy = proxied.post(
        "/api/v1/owner-lookup",
        json={"list_no": mine.list_no, "code": mine.verification_code},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert behind_proxy.status_code == 200
    assert events("owner.lookup")[-1].origin_ip == "198.51.100.7"


def test_failures_age_out_of_the_window(app, lists):
    mine = lists["mine"]
    origin = Origin(ip="10.4.4.4")
    start = app_clock.now()
    for n in range(5):
        result = owner_lookup.lookup(
            db.session, list_no=mine.list_no, code=f"BAD{n}", origin=origin, now=start
        )
        assert result.outcome is LookupOutcome.FAILURE
    db.session.commit()
    at_limit = owner_lookup.lookup(
        db.session,
        list_no=mine.list_no,
        code=mine.verification_code,
        origin=origin,
        now=start + timedelta(minutes=14),
    )
    assert at_limit.outcome is LookupOutcome.LIMITED
    assert at_limit.items == []
    later = owner_lookup.lookup(
        db.session,
        list_no=mine.list_no,
        code=mine.verification_code,
        origin=origin,
        now=start + timedelta(minutes=15, seconds=1),
    )
    assert later.outcome is LookupOutcome.SUCCESS
    assert [i.name for i in later.items] == [
        "黑色苹果手机",
        "金色手表",
    ]
    statuses = {i.name: (i.status.value, i.agency) for i in later.items}
    assert statuses == {
        "黑色苹果手机": ("stored", "浦东公安分局"),
        "金色手表": ("awaiting_storage", "浦东公安分局"),
    }


def test_the_api_answers_the_same(client, lists):
    mine = lists["mine"]
    ok = client.post("/api/v1/owner-lookup", json={"list_no": mine.list_no, "code": mine.verification_code})
    assert ok.status_code == 200
    assert [i["name"] for i in ok.json["items"]] == ["黑色苹果手机", "金色手表"]
    assert set(ok.json) == {"list_no", "seized_on", "items"}
    assert set(ok.json["items"][0]) == {
        "line_no",
        "name",
        "quantity",
        "unit",
        "status",
        "status_label",
        "agency",
        "to_agency",
    }
    bad = client.post("/api/v1/owner-lookup", json={"list_no": mine.list_no, "code": "nope"})
    assert bad.status_code == 404
    assert bad.json["code"] == "owner_lookup.not_found"
    for _ in range(4):
        client.post("/api/v1/owner-lookup", json={"list_no": mine.list_no, "code": "nope"})
    limited = client.post(
        "/api/v1/owner-lookup", json={"list_no": mine.list_no, "code": mine.verification_code}
    )
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "900"
    assert db.session.scalar(select(SeizureList.id).where(SeizureList.id == mine.id))
