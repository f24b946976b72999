"""Cases, seizure lists, item registration, visibility and attachments at the service layer."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.deadlines import AlertRule
from custody.domain.enums import (
    AttachmentKind,
    CaseStage,
    DispositionKind,
    DispositionStatus,
    ExternalKind,
    HolderSignature,
    ItemCategory,
    ItemStatus,
    LocationState,
    Measure,
)
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.services import cases, items
from custody.services.alerts import all_alerts, filter_alerts
from custody.services.items import ItemQuery, SeizureListInput, items_query
from custody.services.visibility import get_case, get_item

from ..factories import act, open_case, png_bytes, register, stored_items
from ..helpers import all_event_text, events

PNG = png_bytes()
PDF = b"%PDF-1.4\n%test\n"


def test_a_police_filing_is_opened_by_a_police_officer_only(app):
    """Other origins (自侦, supervisory referral, 自诉) are opened by their own agencies: test_case_origins."""
    case = open_case()
    assert case.stage is CaseStage.INVESTIGATION
    assert case.handling_agency.code == "PDGA"
    assert events("case.open")[0].data["police_case_no"] == case.police_case_no
    for username in ("prosecutor", "judge", "police_keeper", "police_approver", "admin", "auditor"):
        with pytest.raises(PermissionDenied):
            cases.open_case(db.session, act(username), police_case_no="X-1", title="某案")


def test_case_refusals(app):
    case = open_case()
    with pytest.raises(Conflict):
        cases.open_case(db.session, act("police_officer"), police_case_no=case.police_case_no, title="重复")
    with pytest.raises(InvalidInput) as bad:
        cases.open_case(
            db.session,
            act("police_officer"),
            police_case_no=" ",
            title="",
            filed_on=(app_clock.now() + timedelta(days=2)).date(),
        )
    assert set(bad.value.fields) == {"police_case_no", "title", "filed_on"}


def test_registration_gives_a_label_and_starts_in_police_custody(app):
    case = open_case()
    item = register(case, owner_name="张三", owner_id_no="310115199001011234", estimated_value_fen=599900)
    assert item.label_code.startswith("PDGA-")
    assert item.label_code.endswith("-000001")
    assert item.custodian_agency.code == "PDGA"
    assert item.location_state is LocationState.AWAITING_CHECK_IN
    second = register(case, name="华为手机")
    assert second.label_code.endswith("-000002")
    [event] = events("item.register", item_id=item.id)
    assert event.item_seq == 1
    assert event.data["label_code"] == item.label_code
    # Personal data is committed to by hash, not copied into the permanent record.
    assert "310115199001011234" not in str(event.data)
    assert len(event.data["personal_data_sha256"]) == 64


def test_registered_kept_items_stay_with_the_holder(app):
    case = open_case()
    item = register(case, name="大型冷柜", category=ItemCategory.GOODS, measure=Measure.REGISTERED_KEPT)
    assert item.location_state is LocationState.WITH_HOLDER
    vehicle = register(
        case,
        name="白色轿车",
        category=ItemCategory.VEHICLE,
        details={"plate": "沪A12345"},
        external_kind=None,
    )
    assert vehicle.location_state is LocationState.AWAITING_CHECK_IN


def test_registration_refusals(app):
    case = open_case()
    with pytest.raises(InvalidInput) as bad:
        register(case, details={"imei": "123"})
    assert "details.imei" in bad.value.fields
    with pytest.raises(InvalidInput):
        register(case, seized_at=app_clock.now() - timedelta(days=10))  # before the case was opened
    for username in ("prosecutor", "police_keeper", "police_approver"):
        with pytest.raises((PermissionDenied, NotFound)):
            register(case, username=username)
    assert db.session.scalar(select(Item.id)) is None


def test_only_the_handling_agency_registers(app):
    case, [item] = stored_items(1)
    from custody.services.transfers import decide_lines

    from ..factories import send_to_procuratorate

    transfer = send_to_procuratorate(case, [item.id])
    decide_lines(db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no="浦检[2026]7号")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        register(case, username="police_officer")  # the case moved on: police no longer handle it
    extra = register(case, name="补充扣押的U盘", category=ItemCategory.ELECTRONICS, username="prosecutor")
    assert extra.custodian_agency.code == "PDJC"
    assert extra.label_code.startswith("PDJC-")


def test_seizure_lists_record_why_the_holder_did_not_sign(app):
    case = open_case()
    with pytest.raises(InvalidInput) as bad:
        items.create_seizure_list(
            db.session,
            act("police_officer"),
            case.id,
            SeizureListInput(seized_at=app_clock.now(), holder_signature=HolderSignature.REFUSED),
        )
    assert "holder_signature_note" in bad.value.fields
    seizure_list = items.create_seizure_list(
        db.session,
        act("police_officer"),
        case.id,
        SeizureListInput(
            seized_at=app_clock.now(),
            holder_name="李四",
            holder_signature=HolderSignature.REFUSED,
            holder_signature_note="持有人拒绝签名，由见证人王五见证",
        ),
    )
    db.session.commit()
    assert seizure_list.list_no.startswith("QD-PDGA-")
    assert len(seizure_list.verification_code) == 16
    first = register(case, seizure_list_id=seizure_list.id)
    second = register(case, name="充电器", category=ItemCategory.GOODS, seizure_list_id=seizure_list.id)
    assert first.seizure_list_id == second.seizure_list_id == seizure_list.id
    other = open_case(title="另案")
    with pytest.raises(InvalidInput):
        register(other, seizure_list_id=seizure_list.id)


def test_other_agencies_cannot_see_a_police_case(app):
    case = open_case()
    item = register(case)
    for username in ("prosecutor", "judge", "court_keeper", "admin"):
        with pytest.raises(NotFound):
            get_case(db.session, act(username), case.id)
        with pytest.raises(NotFound):
            get_item(db.session, act(username), item.id)
    assert get_item(db.session, act("auditor"), item.id).id == item.id
    assert get_item(db.session, act("police_keeper"), item.id).id == item.id


def test_case_summary_is_derived_from_items(app):
    case, stored = stored_items(2)
    register(case, name="待入库物品", category=ItemCategory.GOODS, estimated_value_fen=1000)
    summary = cases.case_summary(db.session, case.id)
    assert summary.item_count == 3
    assert summary.by_status == {"in_storage": 2, "awaiting_check_in": 1}
    assert summary.status == "awaiting_check_in"
    assert summary.by_custodian[0]["agency"].code == "PDGA"
    assert summary.by_custodian[0]["count"] == 3
    assert summary.total_value_fen == 1000


def test_item_query_filters(app):
    case, stored = stored_items(2)
    waiting = register(case, name="待入库物品", category=ItemCategory.GOODS)
    officer = act("police_officer")

    def ids(**kwargs):
        return {i.id for i in db.session.scalars(items_query(officer, ItemQuery(**kwargs)))}

    assert ids(status=ItemStatus.AWAITING_CHECK_IN) == {waiting.id}
    assert ids(status=ItemStatus.IN_STORAGE) == {i.id for i in stored}
    assert ids(label_code=waiting.label_code.lower()) == {waiting.id}
    assert ids(custodian="police") == ids(custodian=str(waiting.custodian_agency_id)) == ids(case_id=case.id)
    assert ids(custodian="court") == set()
    assert ids(q="待入库") == {waiting.id}
    assert ids(category=ItemCategory.PHONE) == set()
    with pytest.raises(InvalidInput):
        ids(custodian="army")
    with pytest.raises(InvalidInput):
        ids(sort="price")
    assert ids(case_id=case.id)
    assert not {i.id for i in db.session.scalars(items_query(act("judge"), ItemQuery()))}


def test_attachments_are_hashed_type_checked_and_verified_on_read(app, tmp_path):
    case = open_case()
    item = register(case)
    upload = tmp_path / "uploads"
    officer = act("police_officer")
    attachment = items.add_attachment(
        db.session,
        officer,
        item.id,
        filename="现场照片.png",
        content=PNG,
        declared_type="image/png",
        kind=AttachmentKind.PHOTO,
        upload_dir=upload,
    )
    db.session.commit()
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    assert attachment.size_bytes == len(PNG)
    assert events("item.attachment_add", item_id=item.id)[0].data["sha256"] == attachment.sha256
    _, content = items.read_attachment(db.session, officer, attachment.id, upload)
    assert content == PNG

    refusals = [
        (b"", "image/png", AttachmentKind.PHOTO),
        (b"GIF89a....", "image/gif", AttachmentKind.PHOTO),
        (PNG, "application/pdf", AttachmentKind.DOCUMENT),
        (PDF, "application/pdf", AttachmentKind.PHOTO),
        (b"\xff\xd8\xff" + b"0" * (20 * 1024 * 1024), "image/jpeg", AttachmentKind.PHOTO),
    ]
    for content, declared, kind in refusals:
        with pytest.raises(InvalidInput):
            items.add_attachment(
                db.session,
                officer,
                item.id,
                filename="x",
                content=content,
                declared_type=declared,
                kind=kind,
                upload_dir=upload,
            )
        db.session.rollback()

    stored = Path(upload) / attachment.sha256[:2] / attachment.sha256
    stored.write_bytes(PNG + b"tampered")
    with pytest.raises(Conflict) as altered:
        items.read_attachment(db.session, officer, attachment.id, upload)
    assert altered.value.code == "attachment.corrupted"
    with pytest.raises(NotFound):
        items.read_attachment(db.session, act("judge"), attachment.id, upload)


def test_every_registration_event_extends_the_item_chain(app):
    case, [item] = stored_items(1)
    chain = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.item_id == item.id).order_by(AuditEvent.item_seq)
        )
    )
    assert [e.item_seq for e in chain] == [1, 2]
    assert chain[0].prev_hash == "0" * 64
    assert chain[1].prev_hash == chain[0].hash
    assert db.session.get(Item, item.id).last_event_hash == chain[-1].hash


def test_personal_data_digests_are_salted_per_item_and_the_salt_stays_out_of_the_record(app):
    case = open_case()
    owner = {"owner_name": "张三", "owner_id_no": "310115199001011234", "owner_contact": "13856781234"}
    first = register(case, **owner)
    second = register(case, name="华为手机", **owner)
    [event] = events("item.register", item_id=first.id)
    digest = event.data["personal_data_sha256"]
    salt = db.session.get(Item, first.id).personal_data_salt
    assert re.fullmatch(r"[0-9a-f]{32}", salt)
    assert salt != db.session.get(Item, second.id).personal_data_salt
    # The custodian proves the data by revealing it with the salt: SHA-256(salt || canonical JSON).
    values = [owner["owner_name"], owner["owner_id_no"], owner["owner_contact"]]
    revealed = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    assert digest == hashlib.sha256(salt.encode() + revealed).hexdigest()
    assert digest != events("item.register", item_id=second.id)[0].data["personal_data_sha256"]
    # Whoever holds the record and the masked number 138****1234 cannot try the 10,000 hidden digits.
    for n in range(10_000):
        guess = [owner["owner_name"], owner["owner_id_no"], f"138{n:04d}1234"]
        for blob in (
            json.dumps(guess, ensure_ascii=False),
            json.dumps(guess, ensure_ascii=False, separators=(",", ":")),
        ):
            assert hashlib.sha256(blob.encode()).hexdigest() != digest
    assert salt not in all_event_text()


def test_items_left_with_the_holder_do_not_carry_the_holders_name_into_the_record(app):
    case = open_case()
    seizure_list = items.create_seizure_list(
        db.session,
        act("police_officer"),
        case.id,
        SeizureListInput(seized_at=app_clock.now(), holder_name="李四", holder_id_no="310115199002022345"),
    )
    db.session.commit()
    kept = register(
        case,
        name="大型冷柜",
        category=ItemCategory.GOODS,
        measure=Measure.REGISTERED_KEPT,
        seizure_list_id=seizure_list.id,
    )
    assert kept.location_state is LocationState.WITH_HOLDER
    assert kept.external_place == items.WITH_HOLDER_PLACE
    [event] = events("item.register", item_id=kept.id)
    assert event.data["after"]["external_place"] == "持有人处"
    assert "李四" not in all_event_text()
    assert "310115199002022345" not in all_event_text()
    assert db.session.get(type(seizure_list), seizure_list.id).holder_name == "李四"  # the list keeps it


@pytest.mark.live_rows_diverge(reason="marks the item disposed with a direct update")
def test_a_disposed_item_takes_no_new_attachment(app, tmp_path):
    case, [item] = stored_items(1)
    db.session.execute(
        update(Item)
        .where(Item.id == item.id)
        .values(  # as after an executed disposal
            disposition_status=DispositionStatus.EXECUTED,
            disposition_kind=DispositionKind.CONFISCATE,
            location_state=LocationState.GONE,
            storage_location_id=None,
        )
    )
    db.session.commit()
    count = len(events(item_id=item.id))
    with pytest.raises(Conflict) as refused:
        items.add_attachment(
            db.session,
            act("police_officer"),
            item.id,
            filename="事后补拍.png",
            content=PNG,
            declared_type="image/png",
            kind=AttachmentKind.PHOTO,
            upload_dir=tmp_path,
        )
    assert refused.value.code == "item.disposed"
    assert refused.value.status == 409
    db.session.rollback()
    assert len(events(item_id=item.id)) == count
    assert not db.session.get(Item, item.id).attachments


# -- review fixes ------------------------------------------------------------------------------


def test_a_measure_date_in_the_future_is_refused(app):
    case = open_case()
    for day in ("2199-01-01", (app_clock.now() + timedelta(days=2)).date().isoformat()):
        with pytest.raises(InvalidInput) as refused:
            register(case, measure_date=date.fromisoformat(day))
        assert set(refused.value.fields) == {"measure_date"}
        db.session.rollback()
    assert register(case, measure_date=local_date(app_clock.now())).measure_date == local_date(
        app_clock.now()
    )


ACCOUNT = {"bank": "工商银行浦东分行", "account_no": "6222021001112223334"}
SECURITIES = {"institution": "中信证券上海分公司", "account_no": "A123456789"}


@pytest.mark.parametrize(
    ("category", "measure", "details", "kind", "place"),
    [
        (ItemCategory.BANK_ACCOUNT, Measure.FROZEN, ACCOUNT, ExternalKind.BANK, "工商银行浦东分行"),
        (ItemCategory.BANK_ACCOUNT, Measure.SEIZED, ACCOUNT, ExternalKind.BANK, "工商银行浦东分行"),
        (ItemCategory.SECURITIES, Measure.FROZEN, SECURITIES, ExternalKind.OTHER, "中信证券上海分公司"),
        (
            ItemCategory.EQUITY,
            Measure.FROZEN,
            {"company": "上海某某科技有限公司"},
            ExternalKind.OTHER,
            "上海某某科技有限公司",
        ),
        (
            ItemCategory.INSURANCE,
            Measure.FROZEN,
            {"insurer": "中国人寿", "policy_no": "P2026001"},
            ExternalKind.OTHER,
            "中国人寿",
        ),
    ],
)
def test_accounts_and_frozen_rights_are_kept_at_their_institution_not_awaiting_check_in(
    app, category, measure, details, kind, place
):
    case = open_case()
    item = register(case, name="账户", category=category, measure=measure, details=details, unit="个")
    assert item.location_state is LocationState.EXTERNAL
    assert (item.external_kind, item.external_place) == (kind, place)
    assert not [
        a for a in all_alerts(db.session) if a.rule is AlertRule.INTO_STORAGE and item.id in a.item_ids
    ]
    assert not filter_alerts(
        all_alerts(db.session, app_clock.now() + timedelta(days=2)), rule=AlertRule.INTO_STORAGE
    )


def test_what_the_officer_states_about_keeping_wins(app):
    case = open_case()
    kept = register(
        case,
        name="账户",
        category=ItemCategory.BANK_ACCOUNT,
        measure=Measure.FROZEN,
        details=ACCOUNT,
        unit="个",
        external_kind=ExternalKind.OTHER,
        external_place="银行保管箱",
    )
    assert (kept.external_kind, kept.external_place) == (ExternalKind.OTHER, "银行保管箱")
    named = register(
        case,
        name="账户",
        category=ItemCategory.BANK_ACCOUNT,
        details=ACCOUNT,
        unit="个",
        external_place="工行总行",
    )
    assert (named.external_kind, named.external_place) == (ExternalKind.BANK, "工行总行")
    with_holder = register(
        case,
        name="存折",
        category=ItemCategory.BANK_ACCOUNT,
        details=ACCOUNT,
        unit="本",
        measure=Measure.REGISTERED_KEPT,
    )
    assert with_holder.location_state is LocationState.WITH_HOLDER
    phone = register(case)
    assert phone.location_state is LocationState.AWAITING_CHECK_IN  # physical things still go to the centre


def test_only_the_agency_that_drew_up_a_seizure_list_adds_items_to_it(app):
    case, [item] = stored_items(1)
    police_list = item.seizure_list_id
    from ..factories import judge_case

    judge_case(case)
    with pytest.raises(PermissionDenied) as refused:
        register(
            case,
            name="补充扣押的U盘",
            category=ItemCategory.ELECTRONICS,
            username="judge",
            seizure_list_id=police_list,
        )
    assert refused.value.code == "seizure_list.other_agency"
    assert "seizure_list_id" in refused.value.fields
    db.session.rollback()
    assert (
        db.session.scalar(select(func.count()).select_from(Item).where(Item.seizure_list_id == police_list))
        == 1
    )
    own = register(case, name="补充扣押的U盘", category=ItemCategory.ELECTRONICS, username="judge")
    again = register(
        case,
        name="另一U盘",
        category=ItemCategory.ELECTRONICS,
        username="judge",
        seizure_list_id=own.seizure_list_id,
    )
    assert again.seizure_list_id == own.seizure_list_id != police_list


def test_the_police_still_add_to_their_own_list(app):
    case = open_case()
    first = register(case)
    second = register(
        case, name="第二部手机", seizure_list_id=first.seizure_list_id, details={"imei": "356938035643809"}
    )
    assert second.seizure_list_id == first.seizure_list_id
