"""Disposals the law orders before any judgment, early sale of lots, witnesses and recipients
(issue 12 §1, §4): each test is named after the rule it proves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.deadlines import AlertRule
from custody.domain.enums import DispositionKind, ItemCategory, LocationState, Measure
from custody.domain.errors import Conflict, InvalidInput, PermissionDenied
from custody.domain.lifecycle import (
    DisposalGround,
    DispositionRecordStatus,
    ExternalWitness,
    Recipient,
    RecipientRelation,
    WitnessKind,
)
from custody.domain.milestones import NoticeBasis
from custody.extensions import db
from custody.models.item import Item
from custody.services import alerts, dispositions, items, milestones, storage

from ..conftest import TEST_PASSWORD
from ..factories import act, location, open_case, photo, register
from ..helpers import events


def propose(item_ids, kind, username="police_officer", **kwargs):
    disposition = dispositions.propose_disposition(
        db.session, act(username), item_ids=item_ids, kind=kind, **kwargs
    )
    db.session.commit()
    return disposition


def approve(disposition, username="police_approver"):
    dispositions.decide_disposition(db.session, act(username), disposition.id, approve=True)
    db.session.commit()
    return disposition


def execute(disposition, username="police_keeper", **kwargs):
    dispositions.execute_disposition(db.session, act(username), disposition.id, **kwargs)
    db.session.commit()
    return disposition


def stored(case, name="手机", category=ItemCategory.PHONE, bin_code="R3-A-01", **kwargs):
    item = register(case, name=name, category=category, **kwargs)
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location(bin_code).id)
    db.session.commit()
    return item


def unrelated_alerts(item_id):
    """The 3-day release alert as it stands on the third day (its warning window is one day)."""
    return [
        a
        for a in alerts.all_alerts(db.session, now=app_clock.now() + timedelta(days=3))
        if a.rule is AlertRule.UNRELATED_RELEASE and item_id in a.item_ids
    ]


def test_unrelated_property_is_returned_within_three_days_before_any_judgment(app):
    """刑诉法 145: found unrelated → returned to the owner or holder, no judgment, no photo or value
    needed; the owner's notice is recorded; the 3-day alert clears when the return is executed."""
    case = open_case()
    holder_list = items.SeizureListInput(seized_at=app_clock.now() - timedelta(hours=3), holder_name="李四")
    phone = stored(case, owner_name=None, seizure_list=holder_list)
    with pytest.raises(Conflict) as not_found_yet:
        propose(
            [phone.id],
            DispositionKind.RETURN_TO_OWNER,
            ground=DisposalGround.UNRELATED,
            notice_ref="电话通知",
        )
    assert not_found_yet.value.code == "disposal.not_unrelated"
    db.session.rollback()
    milestones.mark_unrelated(
        db.session, act("police_officer"), phone.id, found_on=app_clock.today(), reason="系李四个人生活用品"
    )
    db.session.commit()
    assert unrelated_alerts(phone.id)
    with pytest.raises(InvalidInput) as no_notice:
        propose([phone.id], DispositionKind.RETURN_TO_OWNER, ground=DisposalGround.UNRELATED)
    assert "notice_ref" in no_notice.value.fields
    db.session.rollback()
    disposition = approve(
        propose(
            [phone.id],
            DispositionKind.RETURN_TO_OWNER,
            ground=DisposalGround.UNRELATED,
            notice_ref="领取通知书 浦公(刑)通字[2026]7号",
        )
    )
    assert disposition.legal_basis
    assert "第一百四十五条" in disposition.legal_basis
    with pytest.raises(Conflict):  # not the holder on the list
        execute(
            disposition,
            receipt_no="发还-1",
            recipient=Recipient(name="王五", relation=RecipientRelation.HOLDER),
        )
    db.session.rollback()
    execute(
        disposition, receipt_no="发还-1", recipient=Recipient(name="李四", relation=RecipientRelation.HOLDER)
    )
    assert db.session.get(Item, phone.id).location_state is LocationState.GONE
    assert unrelated_alerts(phone.id) == []
    [event] = events("disposition.execute", item_id=phone.id)
    assert event.data["ground"] == "unrelated"
    assert event.data["recipient"]["relation"] == "holder"


def test_contraband_not_needed_as_evidence_is_handed_over_or_destroyed_before_judgment(app):
    """程序规定 236 ¶2, 2021解释 441(三): hand-over or destruction, no judgment; photographed first,
    a reason given; confiscation is not a ground for contraband."""
    case = open_case()
    knife = stored(case, name="管制刀具", category=ItemCategory.CONTRABAND, bin_code="R1-A-01")
    with pytest.raises(InvalidInput) as wrong_kind:
        propose([knife.id], DispositionKind.CONFISCATE, ground=DisposalGround.CONTRABAND, reason="违禁品")
    assert wrong_kind.value.code == "disposal.ground_kind"
    db.session.rollback()
    with pytest.raises(Conflict) as no_photo:
        propose([knife.id], DispositionKind.HAND_OVER, ground=DisposalGround.CONTRABAND, reason="管制刀具")
    assert no_photo.value.code == "disposal.photo_required"
    db.session.rollback()
    photo(knife)
    with pytest.raises(InvalidInput):
        propose([knife.id], DispositionKind.HAND_OVER, ground=DisposalGround.CONTRABAND)
    db.session.rollback()
    handed = approve(
        propose(
            [knife.id],
            DispositionKind.HAND_OVER,
            ground=DisposalGround.CONTRABAND,
            reason="管制刀具，已拍照固定",
        )
    )
    execute(handed, receipt_no="治安支队接收单 2026-3")
    assert handed.status is DispositionRecordStatus.EXECUTED
    # Without a ground the judgment is still required: nothing else changed.
    other = stored(case, name="手表", category=ItemCategory.GOODS, bin_code="R1-A-02")
    with pytest.raises(Conflict) as undecided:
        propose([other.id], DispositionKind.DESTROY, legal_basis="x")
    assert undecided.value.code == "disposal.case_not_decided"


def test_unclaimed_property_goes_to_the_treasury_only_after_its_notice_period(app):
    """程序规定 233: 6 months after the notice; 2021解释 445 ¶3: court-ordered returns 1 year; a later
    refund (退库) is recorded on the confiscation."""
    case = open_case()
    ring = stored(case, name="金戒指", category=ItemCategory.GOODS, bin_code="R1-B-01")
    watch = stored(case, name="手表", category=ItemCategory.GOODS, bin_code="R1-B-02")
    long_ago = app_clock.today() - timedelta(days=200)  # more than 6 months, less than a year
    milestones.publish_notice(
        db.session, act("police_officer"), item_ids=[ring.id], published_on=long_ago, medium="公安网站"
    )
    milestones.publish_notice(
        db.session,
        act("police_officer"),
        item_ids=[watch.id],
        published_on=long_ago,
        medium="法院公告栏",
        basis=NoticeBasis.COURT_ORDERED_RETURN,
    )
    db.session.commit()
    with pytest.raises(Conflict) as running:
        propose([watch.id], DispositionKind.CONFISCATE, ground=DisposalGround.UNCLAIMED)
    assert running.value.code == "disposal.notice_period_running"
    db.session.rollback()
    confiscation = approve(propose([ring.id], DispositionKind.CONFISCATE, ground=DisposalGround.UNCLAIMED))
    assert confiscation.legal_basis.startswith("GG-")  # cites the notice
    execute(confiscation, receipt_no="国库缴款书 9")
    dispositions.record_refund(db.session, act("police_officer"), confiscation.id, doc_no="退库申请 1")
    db.session.commit()
    assert confiscation.refund_doc_no == "退库申请 1"
    with pytest.raises(Conflict):
        dispositions.record_refund(db.session, act("police_officer"), confiscation.id, doc_no="again")


def test_early_sale_of_a_lot_is_approved_by_the_agency_head(app):
    """程序规定 236 (主要负责人批准): many items in one auction, one proceeds entry for the lot; any
    category with a reason (the law's list is open); an approver is not enough."""
    case = open_case()
    phones = [stored(case, name=f"手机{n}", bin_code="R3-A-02") for n in range(3)]
    with pytest.raises(InvalidInput):  # reason required
        propose([p.id for p in phones], DispositionKind.EARLY_SALE)
    db.session.rollback()
    for p in phones:
        photo(p)
    lot = propose([p.id for p in phones], DispositionKind.EARLY_SALE, reason="电子产品迅速贬值，批量拍卖")
    with pytest.raises(PermissionDenied):
        approve(lot, "police_approver")
    db.session.rollback()
    approve(lot, "police_head")
    with pytest.raises(InvalidInput) as partial:
        execute(
            lot, receipt_no="拍卖成交确认书 L-1", proceeds_fen=300_000, line_proceeds={phones[0].id: 100_000}
        )
    assert "line_proceeds" in partial.value.fields
    db.session.rollback()
    prices = {phones[0].id: 120_000, phones[1].id: 100_000, phones[2].id: 80_000}
    execute(lot, receipt_no="拍卖成交确认书 L-1", proceeds_fen=300_000, line_proceeds=prices)
    entries = {line.proceeds_item_id for line in lot.lines}
    assert len(entries) == 1
    assert lot.lot_proceeds_fen == 300_000
    entry = db.session.get(Item, entries.pop())
    assert entry.estimated_value_fen == 300_000
    assert entry.external_place == "涉案款专户"
    assert {line.item_id: line.proceeds_fen for line in lot.lines} == prices


def test_early_sale_records_the_owners_consent_at_court_and_for_securities(app):
    """2021解释 439 (经权利人申请或者同意); 程序规定 246 (securities: written application; the price
    stays frozen in the matching account)."""
    case = open_case()
    shares = register(
        case,
        name="股票账户",
        category=ItemCategory.SECURITIES,
        measure=Measure.FROZEN,
        details={"institution": "某证券营业部", "account_no": "A123456"},
    )
    photo(shares)
    with pytest.raises(InvalidInput) as no_consent:
        propose([shares.id], DispositionKind.EARLY_SALE, reason="股价大幅波动")
    assert no_consent.value.code == "disposal.consent_required"
    db.session.rollback()
    sale = approve(
        propose(
            [shares.id],
            DispositionKind.EARLY_SALE,
            reason="股价大幅波动",
            owner_consent="权利人书面申请 3月1日",
        ),
        "police_head",
    )
    execute(sale, receipt_no="卖出交割单 1", proceeds_fen=5_000_000)
    entry = db.session.get(Item, sale.lines[0].proceeds_item_id)
    assert entry.external_place.startswith("某证券营业部 A123456")


def _destruction(case):
    item = stored(case, name="仿冒商品", category=ItemCategory.CONTRABAND, bin_code="R1-A-03")
    photo(item)
    return item, approve(
        propose(
            [item.id], DispositionKind.DESTROY, ground=DisposalGround.CONTRABAND, reason="假冒注册商标商品"
        )
    )


def test_destruction_witness_may_be_an_external_person_recorded_by_name_and_id(app):
    case = open_case()
    item, destruction = _destruction(case)
    with pytest.raises(InvalidInput):
        execute(
            destruction,
            receipt_no="销毁-1",
            external_witness=ExternalWitness(kind=WitnessKind.DISCIPLINE_INSPECTOR, name="周纪检", id_no=""),
        )
    db.session.rollback()
    execute(
        destruction,
        receipt_no="销毁-1",
        external_witness=ExternalWitness(
            kind=WitnessKind.DISCIPLINE_INSPECTOR,
            name="周纪检",
            id_no="310101198001011234",
            organisation="区纪委",
        ),
    )
    assert destruction.witness_kind is WitnessKind.DISCIPLINE_INSPECTOR
    assert destruction.witness_counterparty.id_no == "310101198001011234"
    [event] = events("disposition.execute", item_id=item.id)
    assert event.data["witness"]["kind"] == "discipline_inspector"
    assert "周纪检" not in str(event.data)  # only a salted commitment in the permanent record


def test_a_user_witness_confirms_with_their_own_password_and_an_administrator_never_witnesses(app):
    case = open_case()
    _, destruction = _destruction(case)
    with pytest.raises(Conflict) as admin:
        execute(destruction, receipt_no="销毁-2", witness="admin", witness_password=TEST_PASSWORD)
    assert admin.value.code == "separation.witness_admin"
    db.session.rollback()
    with pytest.raises(InvalidInput) as wrong:
        execute(destruction, receipt_no="销毁-2", witness="court_keeper", witness_password="not-it")
    assert wrong.value.code == "witness.password"
    db.session.rollback()
    execute(destruction, receipt_no="销毁-2", witness="court_keeper", witness_password=TEST_PASSWORD)
    assert destruction.witness_kind is WitnessKind.USER


def test_returns_go_to_heirs_organisations_and_agents_but_staff_never_collect_for_others(app):
    """检察院规则 249 (继承人), 程序规定 234 ¶2 (委托书; 侦查人员或者公安机关其他工作人员不得代为领取)."""
    from ..factories import close_case

    case = open_case()
    goods = [
        stored(
            case,
            name=f"财物{n}",
            category=ItemCategory.GOODS,
            bin_code="R1-A-01",
            owner_name="某贸易有限公司",
        )
        for n in range(3)
    ]
    close_case(case)
    returns = [approve(propose([g.id], DispositionKind.RETURN_TO_OWNER)) for g in goods]
    with pytest.raises(Conflict) as staff:
        execute(
            returns[0],
            receipt_no="r0",
            recipient=Recipient(name="王建国", relation=RecipientRelation.AGENT, authorisation_ref="委托书1"),
        )
    assert staff.value.code == "disposal.staff_collects"
    db.session.rollback()
    with pytest.raises(Conflict) as no_letter:
        execute(
            returns[0],
            receipt_no="r0",
            recipient=Recipient(
                name="赵会计", relation=RecipientRelation.ORGANISATION, organisation="某贸易有限公司"
            ),
        )
    assert no_letter.value.code == "disposal.no_authorisation"
    db.session.rollback()
    execute(
        returns[0],
        receipt_no="r0",
        recipient=Recipient(
            name="赵会计",
            relation=RecipientRelation.ORGANISATION,
            organisation="某贸易有限公司",
            authorisation_ref="介绍信 12",
        ),
    )
    execute(
        returns[1],
        receipt_no="r1",
        recipient=Recipient(
            name="钱继承", relation=RecipientRelation.HEIR, authorisation_ref="继承公证书 (2026)沪东证字1号"
        ),
    )
    execute(
        returns[2],
        receipt_no="r2",
        recipient=Recipient(
            name="孙律师", relation=RecipientRelation.AGENT, authorisation_ref="授权委托书 5"
        ),
    )
    assert [r.recipient_relation for r in returns] == [
        RecipientRelation.ORGANISATION,
        RecipientRelation.HEIR,
        RecipientRelation.AGENT,
    ]
