"""Issue 12 in the web UI: each lawful path is offered where a user would look for it."""

from __future__ import annotations

import re
from datetime import timedelta

from custody.domain import clock as app_clock
from custody.domain.cases import CaseOrigin
from custody.domain.enums import ItemCategory
from custody.extensions import db
from custody.models.case import Case
from custody.services import calendar, cases, milestones

from ..factories import act, judge_case, open_case, register
from ..helpers import fresh
from .ui import client_for, get, submit, text_of


def test_the_procuratorate_opens_its_own_case_and_concludes_the_investigation_on_the_pages(app):
    prosecutor = client_for(app, "prosecutor")
    page = get(prosecutor, "/cases/new")
    assert 'value="procuratorate_investigation"' in page
    assert 'value="supervisory_referral"' in page
    assert 'value="police_filing"' not in page  # the origins this agency may open
    response = submit(
        prosecutor,
        "/cases/new",
        origin="procuratorate_investigation",
        police_case_no="浦检刑侦[2026]21号",
        title="某玩忽职守案",
        filed_on=(app_clock.today() - timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 302, text_of(response)[:2000]
    case_id = int(re.search(r"/cases/(\d+)", response.headers["Location"]).group(1))
    assert "检察院自侦" in get(prosecutor, f"/cases/{case_id}")
    moves = get(prosecutor, f"/cases/{case_id}/moves")
    assert 'id="advance"' in moves
    assert (
        submit(prosecutor, f"/cases/{case_id}/moves", "advance", doc_no="侦查终结报告 21").status_code == 302
    )
    fresh()
    assert db.session.get(Case, case_id).stage.value == "prosecution_review"


def test_the_disposal_form_offers_the_grounds_before_judgment(app):
    case = open_case()
    item = register(case, category=ItemCategory.GOODS)
    page = get(client_for(app, "police_officer"), f"/dispositions/new?item_ids={item.id}")
    for ground in ("与案件无关（三日内退还）", "无需作为证据的违禁品、危险物品", "公告期满无人认领"):
        assert ground in page, ground
    assert 'name="notice_ref"' in page


def test_the_administrator_keeps_the_working_day_calendar_and_alerts_say_why_a_due_date_moved(app):
    admin = client_for(app, "admin")
    assert "工作日历" in get(admin, "/admin/calendar")
    found_on = app_clock.today()
    holiday = found_on + timedelta(days=3)
    response = submit(
        admin, "/admin/calendar", day=holiday.isoformat(), kind="holiday", note="国务院通知：调休放假"
    )
    assert response.status_code == 302, text_of(response)[:2000]
    case = open_case()
    item = register(case, category=ItemCategory.GOODS)
    milestones.mark_unrelated(
        db.session, act("police_officer"), item.id, found_on=found_on, reason="与案件无关"
    )
    db.session.commit()
    app_clock.current_clock().advance(timedelta(days=4))  # inside the 1-day window of the moved date
    page = get(client_for(app, "police_officer"), "/oversight/alerts")
    assert f"由 {holiday.isoformat()} 顺延" in page
    assert "国务院通知：调休放假" in page


def test_the_court_records_the_execution_clocks_on_the_case_milestones_page(app):
    case = open_case()
    register(case, category=ItemCategory.GOODS)
    judge_case(case)
    judge = client_for(app, "judge")
    url = f"/oversight/cases/{case.id}"
    assert 'id="execution"' in get(judge, url)
    response = submit(judge, url, "execution", referred_on=app_clock.today().isoformat())
    assert response.status_code == 302, text_of(response)[:2000]
    fresh()
    assert milestones.services_of(db.session, case.id) == []
    assert "移送执行" in get(judge, url)


def test_the_freeze_form_records_the_receipt_date_approval_and_a_queued_freeze(app):
    court_case = cases.open_case(
        db.session,
        act("judge"),
        origin=CaseOrigin.PRIVATE_PROSECUTION,
        case_no="(2026)沪0115刑初页1号",
        title="自诉案",
        filed_on=app_clock.today() - timedelta(days=2),
    )
    db.session.commit()
    from custody.domain.enums import ExternalKind, Measure

    account = register(
        court_case,
        username="judge",
        name="存款",
        category=ItemCategory.BANK_ACCOUNT,
        measure=Measure.FROZEN,
        details={"bank": "某银行", "account_no": "6222000011112222"},
        external_kind=ExternalKind.BANK,
        external_place="某银行",
    )
    page = get(client_for(app, "judge"), f"/freezes/new/{account.id}")
    for field in ("receipt_end_on", "approved_by", "covers_fruits", "queued", "scope"):
        assert f'name="{field}"' in page, field
    assert "法院的期限：存款一年" in page
    assert calendar.years_needing_overrides(db.session, app_clock.today(), 0) in (
        [],
        [app_clock.today().year],
    )


def test_the_administrator_names_the_centres_operator_and_its_keeper_receives_every_agencys_items(app):
    """三方共管 with an operator: set on the storage-locations page; the operator's keeper sees the items
    to receive in the inbox, checks them in on the batch page, and the history says for whom."""
    from sqlalchemy import select

    from custody.domain.enums import AgencyKind, Role
    from custody.models.agency import CustodyCentre
    from custody.services import accounts

    from ..conftest import TEST_PASSWORD
    from ..factories import location
    from .ui import client_for, post, token
    from .ui import text as page_text

    operator = accounts.create_agency(
        db.session, None, code="ZXYY", name="中心运营公司", kind=AgencyKind.CENTRE_OPERATOR
    )
    accounts.create_user(
        db.session,
        None,
        username="operator_keeper",
        display_name="中心保管员",
        agency_id=operator.id,
        roles=[Role.KEEPER],
        password=TEST_PASSWORD,
    )
    db.session.commit()
    centre = db.session.scalar(select(CustodyCentre).where(CustodyCentre.code == "PDZX"))
    admin = client_for(app, "admin")
    page = get(admin, "/admin/locations")
    assert "运营单位" in page
    assert f'name="centre{centre.id}-operator_agency_id"' in page
    csrf = token(admin, "/admin/locations")
    response = admin.post(
        f"/admin/centres/{centre.id}/operator",
        data={
            f"centre{centre.id}-csrf_token": csrf,
            f"centre{centre.id}-operator_agency_id": operator.id,
            f"centre{centre.id}-submit": "1",
        },
    )
    assert response.status_code == 302, text_of(response)[:2000]
    assert "中心运营公司" in page_text(admin.get("/admin/locations"))
    fresh()
    assert db.session.get(CustodyCentre, centre.id).operator_agency_id == operator.id

    item = register(open_case(), category=ItemCategory.GOODS, name="帆布包")
    keeper = client_for(app, "operator_keeper")
    assert item.label_code in get(keeper, "/")  # the inbox: items to receive, of every agency
    response = post(
        keeper, "/storage/check-in", {"location_id": location("R1-A-01").id, "codes": [item.label_code]}
    )
    assert response.status_code == 302, text_of(response)[:2000]
    history = page_text(get(client_for(app, "police_officer"), f"/items/{item.id}"))
    assert "中心保管员" in history
    assert "代浦东公安分局" in history


def test_the_court_opens_a_private_prosecution_and_the_seizure_list_takes_witness_and_second_officer(app):
    judge = client_for(app, "judge")
    page = get(judge, "/cases/new")
    assert 'value="private_prosecution"' in page
    assert 'value="procuratorate_investigation"' not in page
    case = open_case()
    form = get(client_for(app, "police_officer"), f"/cases/{case.id}/items/new")
    for name in ("witness", "witness_note", "second_officer", "d_real_estate_registry_notice_no"):
        assert f'name="{name}"' in form, name


def test_the_moves_page_offers_the_supplementary_inquiry_and_merging_and_transfers_offer_appeal_and_jurisdiction(
    app,
):
    referred = cases.open_case(
        db.session,
        act("prosecutor"),
        origin=CaseOrigin.SUPERVISORY_REFERRAL,
        case_no="浦检刑诉[2026]页5号",
        title="某受贿案",
        filed_on=app_clock.today() - timedelta(days=1),
        referring_body="浦东新区监察委员会",
    )
    db.session.commit()
    moves = get(client_for(app, "prosecutor"), f"/cases/{referred.id}/moves")
    assert 'id="inquiry"' in moves
    assert 'id="merge"' in moves
    trial = cases.open_case(
        db.session,
        act("judge"),
        origin=CaseOrigin.PRIVATE_PROSECUTION,
        case_no="(2026)沪0115刑初页6号",
        title="自诉侮辱案",
        filed_on=app_clock.today() - timedelta(days=1),
    )
    db.session.commit()
    new_transfer = get(client_for(app, "judge"), f"/transfers/new?case_id={trial.id}")
    assert 'value="appeal"' in new_transfer
    assert 'value="jurisdiction"' in new_transfer


def test_an_item_kept_outside_offers_a_check_out_and_another_purpose_takes_its_reason(app):
    from custody.domain.enums import ExternalKind

    car = register(
        open_case(),
        name="轿车",
        category=ItemCategory.VEHICLE,
        details={"plate": "沪A12345"},
        external_kind=ExternalKind.IMPOUND_LOT,
        external_place="浦东停车场",
    )
    officer = client_for(app, "police_officer")
    assert "/checkouts/new?item_ids=" in get(officer, f"/items/{car.id}")
    page = get(officer, f"/checkouts/new?item_ids={car.id}")
    assert 'value="other"' in page
    assert 'name="note"' in page


def test_the_case_milestones_page_records_unrelated_items_and_public_notices(app):
    case = open_case()
    register(case, category=ItemCategory.GOODS)
    page = get(client_for(app, "police_officer"), f"/oversight/cases/{case.id}")
    assert 'id="unrelated-title"' in page
    assert 'id="notice-title"' in page


def test_the_execute_form_takes_an_external_witness_and_collectors_for_the_owner(app):
    from custody.domain.enums import DispositionKind
    from custody.domain.lifecycle import DisposalGround
    from custody.services import dispositions, storage

    from ..factories import close_case, location, photo

    case = open_case()
    knife = register(case, name="管制刀具", category=ItemCategory.CONTRABAND)
    storage.check_in(db.session, act("police_keeper"), knife.id, location_id=location("R1-A-01").id)
    db.session.commit()
    photo(knife)
    destroy = dispositions.propose_disposition(
        db.session,
        act("police_officer"),
        item_ids=[knife.id],
        kind=DispositionKind.DESTROY,
        ground=DisposalGround.CONTRABAND,
        reason="管制刀具",
    )
    dispositions.decide_disposition(db.session, act("police_approver"), destroy.id, approve=True)
    db.session.commit()
    keeper = client_for(app, "police_keeper")
    page = get(keeper, f"/dispositions/{destroy.id}")
    for name in ("witness_kind", "witness_name", "witness_id_no", "witness_organisation"):
        assert name in page, name
    assert 'value="discipline_inspector"' in page or "纪检" in page

    goods = register(case, name="手表", category=ItemCategory.GOODS, owner_name="某贸易有限公司")
    storage.check_in(db.session, act("police_keeper"), goods.id, location_id=location("R1-A-02").id)
    db.session.commit()
    close_case(case)
    back = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[goods.id], kind=DispositionKind.RETURN_TO_OWNER
    )
    dispositions.decide_disposition(db.session, act("police_approver"), back.id, approve=True)
    db.session.commit()
    page = get(keeper, f"/dispositions/{back.id}")
    for relation in ("heir", "organisation", "agent"):
        assert f'value="{relation}"' in page, relation
    assert "authorisation_ref" in page


def test_a_confiscation_of_unclaimed_property_offers_the_later_refund(app):
    from custody.domain.enums import DispositionKind
    from custody.domain.lifecycle import DisposalGround
    from custody.services import dispositions, storage

    from ..factories import location

    case = open_case()
    ring = register(case, name="金戒指", category=ItemCategory.GOODS)
    storage.check_in(db.session, act("police_keeper"), ring.id, location_id=location("R1-B-01").id)
    milestones.publish_notice(
        db.session,
        act("police_officer"),
        item_ids=[ring.id],
        published_on=app_clock.today() - timedelta(days=200),
        medium="公安网站",
    )
    db.session.commit()
    confiscation = dispositions.propose_disposition(
        db.session,
        act("police_officer"),
        item_ids=[ring.id],
        kind=DispositionKind.CONFISCATE,
        ground=DisposalGround.UNCLAIMED,
    )
    dispositions.decide_disposition(db.session, act("police_approver"), confiscation.id, approve=True)
    dispositions.execute_disposition(
        db.session, act("police_keeper"), confiscation.id, receipt_no="国库缴款书 1"
    )
    db.session.commit()
    officer = client_for(app, "police_officer")
    assert 'id="refund"' in get(officer, f"/dispositions/{confiscation.id}")
    response = submit(officer, f"/dispositions/{confiscation.id}", "refund", doc_no="退库申请 1")
    assert response.status_code == 302, text_of(response)[:2000]
    assert "退库申请 1" in get(officer, f"/dispositions/{confiscation.id}")


def test_the_account_page_refuses_an_officer_who_would_also_keep_the_property(app):
    admin = client_for(app, "admin")
    page = get(admin, "/admin/users")
    assert 'name="roles"' in page
    from sqlalchemy import select

    from custody.models.agency import Agency

    police = db.session.scalar(select(Agency.id).where(Agency.code == "PDGA"))
    response = submit(
        admin,
        "/admin/users",
        username="officer_keeper",
        display_name="兼职人员",
        agency_id=police,
        roles=["officer", "keeper"],
        locale="zh_CN",
        password="Long-enough-pass-2026",
    )
    assert response.status_code == 422, response.status_code
    from .ui import text as page_text
    from .ui import zh

    refusal = zh("A case officer may not also keep the property (officer and keeper on one account).")
    assert refusal != "A case officer may not also keep the property (officer and keeper on one account)."
    assert refusal in page_text(response)
