"""Every case origin and the procedural moves of a case file (issue 12 §2), named after the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.cases import CaseOrigin
from custody.domain.deadlines import AlertRule
from custody.domain.enums import AgencyKind, CaseStage, ItemCategory, Role, TransferKind
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.extensions import db
from custody.models.case import Case
from custody.models.item import Item
from custody.services import accounts, alerts, case_moves, cases, items, milestones, storage, transfers

from ..factories import act, agency, location, open_case, register


def _open(username, origin, case_no, **kwargs):
    case = cases.open_case(
        db.session,
        act(username),
        origin=origin,
        case_no=case_no,
        title=kwargs.pop("title", "某某案"),
        filed_on=app_clock.today() - timedelta(days=3),
        **kwargs,
    )
    db.session.commit()
    return case


def _agency_with_officer(code, name, kind, username):
    new = accounts.create_agency(db.session, None, code=code, name=name, kind=kind)
    accounts.create_user(
        db.session,
        None,
        username=username,
        display_name=f"{name}办案人",
        agency_id=new.id,
        roles=[Role.OFFICER],
        password="Officer-pass-2026",
    )
    db.session.commit()
    return new


def test_each_origin_is_opened_by_its_own_kind_of_agency(app):
    """刑诉法 19 (police; procuratorate 自侦; court 自诉), 检察院规则 668 (supervisory referral)."""
    with pytest.raises(PermissionDenied) as police:
        _open("police_officer", CaseOrigin.PROCURATORATE_INVESTIGATION, "浦检刑侦[2026]1号")
    assert police.value.code == "case.wrong_origin"
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        _open("prosecutor", CaseOrigin.POLICE_FILING, "x")
    db.session.rollback()
    with pytest.raises(InvalidInput) as unnamed:
        _open("prosecutor", CaseOrigin.SUPERVISORY_REFERRAL, "浦检刑诉[2026]9号")
    assert "referring_body" in unnamed.value.fields
    db.session.rollback()
    starts = {
        ("prosecutor", CaseOrigin.PROCURATORATE_INVESTIGATION): CaseStage.INVESTIGATION,
        ("prosecutor", CaseOrigin.SUPERVISORY_REFERRAL): CaseStage.PROSECUTION_REVIEW,
        ("judge", CaseOrigin.PRIVATE_PROSECUTION): CaseStage.TRIAL,
    }
    for n, ((user, origin), stage) in enumerate(starts.items()):
        case = _open(user, origin, f"号{n}", referring_body="浦东新区监察委员会")
        assert case.stage is stage
        assert case.origin is origin
        assert case.police_case_no is None
        assert case.handling_agency_id == act(user).agency_id
        assert case.first_number == f"号{n}"
    with pytest.raises(Conflict) as duplicate:
        _open("judge", CaseOrigin.PRIVATE_PROSECUTION, "号2")
    assert duplicate.value.code == "case.duplicate"


def test_a_self_investigated_case_moves_to_prosecution_review_inside_the_procuratorate_then_to_court(app):
    case = _open("prosecutor", CaseOrigin.PROCURATORATE_INVESTIGATION, "浦检刑侦[2026]1号")
    item = register(case, username="prosecutor", category=ItemCategory.GOODS, name="账本")
    storage.check_in(db.session, act("procuratorate_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    with pytest.raises(Conflict):  # not at prosecution review yet
        transfers.propose_transfer(
            db.session,
            act("prosecutor"),
            case_id=case.id,
            to_agency_id=agency("PDFY").id,
            kind=TransferKind.INDICTMENT,
            item_ids=[item.id],
        )
    db.session.rollback()
    case_moves.advance_stage(db.session, act("prosecutor"), case.id, doc_no="侦查终结报告 1")
    db.session.commit()
    assert db.session.get(Case, case.id).stage is CaseStage.PROSECUTION_REVIEW
    with pytest.raises(Conflict):
        case_moves.advance_stage(db.session, act("prosecutor"), case.id)
    db.session.rollback()
    indictment = transfers.propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=[item.id],
    )
    db.session.commit()
    transfers.decide_lines(
        db.session, act("judge"), indictment.id, [item.id], accept=True, case_no="(2026)沪0115刑初7号"
    )
    db.session.commit()
    fresh = db.session.get(Case, case.id)
    assert fresh.stage is CaseStage.TRIAL
    assert fresh.court_case_no == "(2026)沪0115刑初7号"
    assert db.session.get(Item, item.id).custodian_agency.code == "PDFY"


def test_a_referred_case_goes_back_to_the_supervisory_commission_at_most_twice_for_a_month_each(app):
    """监察法 54 ¶3; the police's 退回补充侦查 does not apply to it."""
    case = _open(
        "prosecutor",
        CaseOrigin.SUPERVISORY_REFERRAL,
        "浦检刑诉[2026]5号",
        referring_body="浦东新区监察委员会",
    )
    with pytest.raises(Conflict) as not_police:
        transfers.propose_transfer(
            db.session,
            act("prosecutor"),
            case_id=case.id,
            to_agency_id=agency("PDGA").id,
            kind=TransferKind.SUPPLEMENTARY_INVESTIGATION,
            item_ids=[],
        )
    assert not_police.value.code == "transfer.wrong_origin"
    db.session.rollback()
    case_moves.send_for_inquiry(db.session, act("prosecutor"), case.id, doc_no="补充调查决定书 1")
    db.session.commit()
    with pytest.raises(Conflict) as still_open:
        case_moves.send_for_inquiry(db.session, act("prosecutor"), case.id, doc_no="2")
    assert still_open.value.code == "case.inquiry_open"
    db.session.rollback()
    month_later = app_clock.now() + timedelta(days=32)
    [late] = [
        a for a in alerts.all_alerts(db.session, now=month_later) if a.rule is AlertRule.SUPPLEMENTARY_INQUIRY
    ]
    assert late.overdue
    assert late.case_id == case.id
    assert late.agency_id == agency("PDJC").id
    case_moves.record_inquiry_return(db.session, act("prosecutor"), case.id)
    db.session.commit()
    assert not [
        a for a in alerts.all_alerts(db.session, now=month_later) if a.rule is AlertRule.SUPPLEMENTARY_INQUIRY
    ]
    case_moves.send_for_inquiry(db.session, act("prosecutor"), case.id, doc_no="补充调查决定书 2")
    case_moves.record_inquiry_return(db.session, act("prosecutor"), case.id)
    db.session.commit()
    with pytest.raises(Conflict) as limit:
        case_moves.send_for_inquiry(db.session, act("prosecutor"), case.id, doc_no="3")
    assert limit.value.code == "case.inquiry_limit"


def test_the_court_opens_a_private_prosecution_and_judges_it(app):
    """刑诉法 210: 自诉 — the court is the first handler; it may record seized items and its judgment."""
    case = _open("judge", CaseOrigin.PRIVATE_PROSECUTION, "(2026)沪0115刑初自1号")
    item = register(case, username="judge", category=ItemCategory.GOODS, name="借条")
    assert item.custodian_agency.code == "PDFY"
    milestones.record_judgment(
        db.session,
        act("judge"),
        case.id,
        judgment_no="(2026)沪0115刑初自1号判决",
        effective_on=app_clock.today(),
    )
    db.session.commit()
    assert db.session.get(Case, case.id).stage is CaseStage.EXECUTION


def test_an_appeal_moves_the_case_to_the_appeal_court_and_execution_returns_to_the_first_instance(app):
    """2021解释 440 (evidence to the second-instance court), 447 (the first instance executes)."""
    from ..factories import judge_case, send_to_procuratorate  # noqa: F401

    appeal_court = _agency_with_officer("SHYZ", "上海市第一中级人民法院", AgencyKind.COURT, "appeal_judge")
    case = open_case()
    item = register(case, category=ItemCategory.GOODS, name="作案工具")
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    transfer = send_to_procuratorate(case, [item.id])
    transfers.decide_lines(
        db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no="浦检[2026]77号"
    )
    db.session.commit()
    indictment = transfers.propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=[item.id],
    )
    db.session.commit()
    transfers.decide_lines(
        db.session, act("judge"), indictment.id, [item.id], accept=True, case_no="(2026)沪0115刑初77号"
    )
    db.session.commit()
    appeal = transfers.propose_transfer(
        db.session,
        act("judge"),
        case_id=case.id,
        to_agency_id=appeal_court.id,
        kind=TransferKind.APPEAL,
        item_ids=[item.id],
    )
    db.session.commit()
    with pytest.raises(InvalidInput):  # the appeal court records its own number
        transfers.decide_lines(db.session, act("appeal_judge"), appeal.id, [item.id], accept=True)
    db.session.rollback()
    transfers.decide_lines(
        db.session, act("appeal_judge"), appeal.id, [item.id], accept=True, case_no="(2026)沪01刑终5号"
    )
    db.session.commit()
    moved = db.session.get(Case, case.id)
    assert moved.handling_agency_id == appeal_court.id
    assert moved.appeal_case_no == "(2026)沪01刑终5号"
    assert moved.court_case_no == "(2026)沪0115刑初77号"
    assert moved.latest_number == "(2026)沪01刑终5号"
    milestones.record_judgment(
        db.session,
        act("appeal_judge"),
        case.id,
        judgment_no="(2026)沪01刑终5号裁定",
        effective_on=app_clock.today(),
    )
    db.session.commit()
    judged = db.session.get(Case, case.id)
    assert judged.stage is CaseStage.EXECUTION
    assert judged.handling_agency_id == agency("PDFY").id


def test_jurisdiction_moves_to_another_agency_of_the_same_kind_with_its_own_number(app):
    """程序规定 184, 185: 移送管辖 — the file, evidence and property go with the case."""
    other = _agency_with_officer("MHGA", "闵行公安分局", AgencyKind.POLICE, "minhang_officer")
    case = open_case()
    item = register(case, category=ItemCategory.GOODS, name="赃物")
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R1-A-01").id)
    db.session.commit()
    with pytest.raises(InvalidInput):  # not to another kind of agency
        transfers.propose_transfer(
            db.session,
            act("police_officer"),
            case_id=case.id,
            to_agency_id=agency("PDJC").id,
            kind=TransferKind.JURISDICTION,
            item_ids=[item.id],
        )
    db.session.rollback()
    moving = transfers.propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=other.id,
        kind=TransferKind.JURISDICTION,
        item_ids=[item.id],
    )
    db.session.commit()
    transfers.decide_lines(
        db.session, act("minhang_officer"), moving.id, [item.id], accept=True, case_no="沪公(闵)立字[2026]9号"
    )
    db.session.commit()
    moved = db.session.get(Case, case.id)
    assert moved.handling_agency_id == other.id
    assert moved.police_agency_id == other.id
    assert moved.police_case_no == "沪公(闵)立字[2026]9号"
    assert moved.stage is CaseStage.INVESTIGATION
    assert db.session.get(Item, item.id).custodian_agency_id == other.id


def test_a_merged_case_takes_its_items_into_the_other_case(app):
    """程序规定 21 ¶2, 184: 并案侦查."""
    main_case, absorbed = open_case(title="主案"), open_case(title="并案")
    item = register(absorbed, category=ItemCategory.GOODS, name="并案财物")
    with pytest.raises(NotFound):  # another agency does not even see the cases
        case_moves.merge_case(db.session, act("prosecutor"), absorbed.id, into_case_id=main_case.id)
    db.session.rollback()
    case_moves.merge_case(
        db.session, act("police_officer"), absorbed.id, into_case_id=main_case.id, doc_no="并案决定书 1"
    )
    db.session.commit()
    assert db.session.get(Item, item.id).case_id == main_case.id
    merged = db.session.get(Case, absorbed.id)
    assert merged.stage is CaseStage.CLOSED
    assert merged.merged_into_id == main_case.id
    assert not [
        a
        for a in alerts.all_alerts(db.session)
        if a.rule is AlertRule.HELD_AFTER_CLOSE and a.case_id == absorbed.id
    ]
    with pytest.raises(Conflict):
        items.register_item(
            db.session,
            act("police_officer"),
            absorbed.id,
            items.ItemInput(name="x", category=ItemCategory.GOODS, quantity=1, unit="件"),
        )
