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
from .test_lifecycle_pages import get, submit, text_of, user_client


def test_the_procuratorate_opens_its_own_case_and_concludes_the_investigation_on_the_pages(app):
    prosecutor = user_client(app, "prosecutor")
    page = get(prosecutor, "/cases/new")
    assert 'value="procuratorate_investigation"' in page and 'value="supervisory_referral"' in page
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
    page = get(user_client(app, "police_officer"), f"/dispositions/new?item_ids={item.id}")
    for ground in ("与案件无关（三日内退还）", "无需作为证据的违禁品、危险物品", "公告期满无人认领"):
        assert ground in page, ground
    assert 'name="notice_ref"' in page


def test_the_administrator_keeps_the_working_day_calendar_and_alerts_say_why_a_due_date_moved(app):
    admin = user_client(app, "admin")
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
    page = get(user_client(app, "police_officer"), "/oversight/alerts")
    assert f"由 {holiday.isoformat()} 顺延" in page and "国务院通知：调休放假" in page


def test_the_court_records_the_execution_clocks_on_the_case_milestones_page(app):
    case = open_case()
    register(case, category=ItemCategory.GOODS)
    judge_case(case)
    judge = user_client(app, "judge")
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
    page = get(user_client(app, "judge"), f"/freezes/new/{account.id}")
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
    assert "运营单位" in page and f'name="centre{centre.id}-operator_agency_id"' in page
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
    history = page_text(get(user_client(app, "police_officer"), f"/items/{item.id}"))
    assert "中心保管员" in history and "代浦东公安分局" in history
