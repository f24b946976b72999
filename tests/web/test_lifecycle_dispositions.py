"""处置 through the pages: early sale with proceeds in 元, destruction with a witness outside the chain
of custody, pre-trial return to an authorised agent; field errors kept, nothing written on refusal."""

from __future__ import annotations

import html
import re

from custody.domain.enums import DispositionKind, DispositionStatus, ItemCategory, LocationState
from custody.domain.lifecycle import DispositionRecordStatus
from custody.extensions import db
from custody.models.item import Item
from custody.models.lifecycle import Counterparty, Disposition, DispositionLine
from custody.services import storage

from ..conftest import TEST_PASSWORD
from ..factories import DROP_DECISION, act, close_case, location, photo, register, stored_items
from ..helpers import fresh, row_counts
from .builders import JUDGMENT, approved_disposition, documented_ring
from .ui import client_for, get, submit, text_of, zh

NOT_DECIDED = (
    "A final disposal carries out the outcome of the case: first record the court's effective judgment, "
    "or close the case with the decision not to prosecute or to drop it. Before judgment only unrelated "
    "property (returned), contraband (handed over or destroyed) and unclaimed property after its notice "
    "period (confiscated) may be disposed of."
)
NO_OUTCOME_YET = (
    "No effective judgment or closing decision is recorded on this case yet: early sale, pre-trial "
    "return, and the disposals the law orders before judgment (unrelated, contraband, unclaimed) are "
    "possible now."
)


def _new_id(response) -> int:
    assert response.status_code == 302, text_of(response)[:3000]
    return int(re.search(r"/dispositions/(\d+)$", response.headers["Location"]).group(1))


def stored_car(case):
    car = register(
        case,
        name="白色轿车",
        category=ItemCategory.VEHICLE,
        details={"plate": "沪C11111"},
        estimated_value_fen=8_000_000,
    )
    photo(car)
    storage.check_in(db.session, act("police_keeper"), car.id, location_id=location("Y1-A-01").id)
    db.session.commit()
    return car


def test_early_sale_proposed_approved_and_executed_with_proceeds_in_yuan(app):
    case = stored_items(0)[0]
    car = stored_car(case)
    officer, approver, keeper = (
        client_for(app, u) for u in ("police_officer", "police_approver", "police_keeper")
    )
    new_url = f"/dispositions/new?item_ids={car.id}"
    page = get(officer, new_url)
    assert "白色轿车" in page
    assert "¥80,000.00" in page
    assert "先行发还" in page
    response = submit(
        officer,
        new_url,
        kind="early_sale",
        legal_basis="",
        reason="车辆长期存放贬值",
        owner_consent="车主书面同意（2026-03-01）",
        item_ids=[car.id],
    )
    url = f"/dispositions/{_new_id(response)}"
    page = get(officer, url)
    assert "已提出" in page
    assert "车辆长期存放贬值" in page
    assert "车主书面同意（2026-03-01）" in page
    assert 'name="decide-approve"' not in page

    # An early sale is the agency head's decision (程序规定 236: 主要负责人批准), not any approver's.
    assert submit(approver, url, "decide", "approve").status_code == 403
    head = client_for(app, "police_head")
    assert submit(head, url, "decide", "approve").status_code == 302
    page = get(keeper, url)
    assert "已批准" in page
    assert 'name="execute-proceeds"' in page
    assert 'name="execute-witness"' not in page

    # Proceeds must be an amount of yuan with at most two decimals; nothing is written otherwise.
    before = row_counts(Item, DispositionLine)
    for typed in ("六万三千", "63500.505", "-5", "1e5", ""):
        response = submit(keeper, url, "execute", receipt_no="拍卖成交确认书 A-9", proceeds=typed)
        assert response.status_code == 422, typed
        page = text_of(response)
        assert 'id="execute-proceeds-err"' in page, typed
        assert 'value="拍卖成交确认书 A-9"' in page, typed
        assert f'value="{typed}"' in page, typed
    assert row_counts(Item, DispositionLine) == before

    response = submit(
        keeper,
        url,
        "execute",
        receipt_no="拍卖成交确认书 A-9",
        proceeds="63,500.5",
        confirmed_item_ids=[car.id],
    )
    assert response.status_code == 302, text_of(response)[:3000]
    page = get(officer, url)
    assert "已执行" in page
    assert "拍卖成交确认书 A-9" in page
    assert "¥63,500.50" in page
    fresh()
    disposition = db.session.get(Disposition, int(url.rsplit("/", 1)[1]))
    [line] = disposition.lines
    assert line.proceeds_fen == 6_350_050  # exactly: no floating point on the way
    proceeds = db.session.get(Item, line.proceeds_item_id)
    assert proceeds.label_code in page
    assert proceeds.estimated_value_fen == 6_350_050
    assert db.session.get(Item, car.id).location_state is LocationState.GONE
    assert disposition.disposition_no in get(officer, "/dispositions?kind=early_sale&status=executed")
    assert disposition.disposition_no not in get(officer, "/dispositions?kind=destroy")


def test_proposal_errors_are_kept_on_the_form(app):
    case, [item] = stored_items(1)
    officer = client_for(app, "police_officer")
    url = f"/dispositions/new?item_ids={item.id}"
    before = row_counts(Disposition)
    response = submit(officer, url, kind="", legal_basis="", reason="判决没收", item_ids=[item.id])
    assert response.status_code == 422
    assert "该字段是必填字段" in text_of(response)
    assert "判决没收" in text_of(response)
    # Final disposal on an open case: refused whatever is cited, with the reason at 处置方式 (listed in
    # the summary at the top), input kept.
    assert zh(NO_OUTCOME_YET) in html.unescape(get(officer, url))
    response = submit(
        officer,
        url,
        kind="confiscate",
        legal_basis="(2026)沪0115刑初1号",
        reason="判决没收",
        item_ids=[item.id],
    )
    assert response.status_code == 409
    page = html.unescape(text_of(response))
    assert 'id="kind-err"' in page
    assert 'href="#kind"' in page
    assert zh(NOT_DECIDED) in page
    assert 'value="(2026)沪0115刑初1号"' in page
    assert "判决没收" in page
    # Early sale of goods not yet photographed: refused with the reason at the top, input kept.
    response = submit(officer, url, kind="early_sale", reason="占用库房", item_ids=[item.id])
    assert response.status_code == 409
    assert "flash-error" in text_of(response)
    assert "占用库房" in text_of(response)
    assert row_counts(Disposition) == before


def test_a_closed_cases_decision_is_cited_by_default(app):
    case, [item] = stored_items(1)
    close_case(case)
    officer = client_for(app, "police_officer")
    url = f"/dispositions/new?item_ids={item.id}"
    page = html.unescape(get(officer, url))
    assert f'value="{DROP_DECISION}"' in page  # the legal basis, filled in from the closing decision
    assert zh("Recorded on the case: %(ref)s.", ref=DROP_DECISION) in page
    assert zh(NO_OUTCOME_YET) not in page
    # No owner is recorded: the page says a return needs one and links to the correction that records it.
    assert f'href="/corrections/new/{item.id}?field=owner_name"' in page
    response = submit(officer, url, kind="return_to_owner", legal_basis=DROP_DECISION, item_ids=[item.id])
    assert response.status_code == 409
    assert f'href="/corrections/new/{item.id}?field=owner_name"' in text_of(response)
    new_url = f"/dispositions/{_new_id(submit(officer, url, kind='confiscate', legal_basis=DROP_DECISION, item_ids=[item.id]))}"
    assert DROP_DECISION in get(officer, new_url)


def test_destruction_witness_in_the_chain_is_refused_and_an_outsider_accepted(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], DispositionKind.DESTROY, legal_basis=JUDGMENT)
    url = f"/dispositions/{disposition.id}"
    keeper = client_for(app, "police_keeper")
    page = get(keeper, url)
    assert 'name="execute-witness"' in page
    assert 'name="execute-proceeds"' not in page

    for witness in ("police_officer", "police_keeper"):
        response = submit(keeper, url, "execute", receipt_no="销毁记录 2026-3", witness=witness)
        assert response.status_code == 409, witness
        page = text_of(response)
        assert "该见证人经手过此财物，不能担任销毁见证人" in page
        assert 'id="execute-witness-err"' in page
        # A forged choice of someone in the chain: refused at the field; they are never offered.
        assert f'value="{witness}"' not in page
        assert 'value="销毁记录 2026-3"' in page
    response = submit(keeper, url, "execute", receipt_no="销毁记录 2026-3", witness="nobody_here")
    assert response.status_code == 422
    assert 'id="execute-witness-err"' in text_of(response)
    fresh()
    assert db.session.get(Disposition, disposition.id).status is DispositionRecordStatus.APPROVED

    # The witness confirms with their own password.
    response = submit(keeper, url, "execute", receipt_no="销毁记录 2026-3", witness="court_keeper")
    assert response.status_code == 422
    assert 'id="execute-witness_password-err"' in text_of(response)
    response = submit(
        keeper,
        url,
        "execute",
        receipt_no="销毁记录 2026-3",
        witness="court_keeper",
        witness_password=TEST_PASSWORD,
        confirmed_item_ids=[item.id],
    )
    assert response.status_code == 302
    page = get(keeper, url)
    assert "已执行" in page
    assert "郑芳" in page
    assert "浦东新区人民法院" in page
    assert "销毁记录 2026-3" in page
    fresh()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.EXECUTED


def test_pre_trial_return_to_an_agent_needs_a_written_authorisation(app):
    case = stored_items(0)[0]
    ring = documented_ring(case)
    officer, approver, keeper = (
        client_for(app, u) for u in ("police_officer", "police_approver", "police_keeper")
    )
    new_url = f"/dispositions/new?item_ids={ring.id}"
    url = f"/dispositions/{_new_id(submit(officer, new_url, kind='pretrial_return', item_ids=[ring.id]))}"
    assert submit(approver, url, "decide", "approve").status_code == 302
    page = get(keeper, url)
    assert 'name="execute-recipient_name"' in page
    assert "受害人王某" in page
    assert "310115198808081234" in page

    before = row_counts(Counterparty)
    response = submit(
        keeper,
        url,
        "execute",
        receipt_no="发还回执 1",
        recipient_name="王某之子",
        recipient_relation="agent",
        authorisation_ref="",
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "代领人须持有已登记的书面授权委托书" in page
    assert 'id="execute-authorisation_ref-err"' in page
    assert 'value="王某之子"' in page
    assert re.search(r'<option selected value="agent"|value="agent" selected', page)
    response = submit(keeper, url, "execute", receipt_no="发还回执 1", recipient_name="李某")
    assert response.status_code == 409
    assert 'id="execute-recipient_name-err"' in text_of(response)
    assert row_counts(Counterparty) == before

    response = submit(
        keeper,
        url,
        "execute",
        receipt_no="发还回执 1",
        recipient_name="王某之子",
        recipient_id_no="310115199901011234",
        recipient_relation="agent",
        authorisation_ref="授权委托书 2026-07号",
        confirmed_item_ids=[ring.id],
    )
    assert response.status_code == 302, text_of(response)[:3000]
    page = get(officer, url)
    assert "已执行" in page
    assert "王某之子" in page
    assert "授权委托书 2026-07号" in page
    assert f"{url}/return-list.pdf" in page
    fresh()
    assert db.session.get(Item, ring.id).disposition_kind is DispositionKind.PRETRIAL_RETURN


def test_approval_is_for_another_approver_and_execution_for_the_keeper(app):
    case, [item] = stored_items(1)
    close_case(case)
    officer = client_for(app, "police_officer")
    url = f"/dispositions/{_new_id(submit(officer, f'/dispositions/new?item_ids={item.id}', kind='confiscate', legal_basis=JUDGMENT, item_ids=[item.id]))}"
    keeper = client_for(app, "police_keeper")
    page = get(keeper, url)
    assert 'name="decide-approve"' not in page
    assert 'name="execute-submit"' not in page
    response = submit(keeper, url, "decide", "approve")
    assert response.status_code == 403
    assert "无权操作" in text_of(response)
    response = submit(officer, url, "execute", receipt_no="R-1")
    assert response.status_code == 403
    approver = client_for(app, "police_approver")
    response = submit(approver, url, "decide", "reject", reason="")
    assert response.status_code == 422
    assert "请说明不予批准的理由" in text_of(response)
    assert submit(approver, url, "decide", "reject", reason="判决尚未生效").status_code == 302
    page = get(officer, url)
    assert "判决尚未生效" in page
    assert 'name="execute-submit"' not in page
    fresh()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.NONE
