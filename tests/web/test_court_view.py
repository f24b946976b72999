"""The court's and prosecutor's view (issue 18): the judgment recorded on the case page with each
item's outcome, each authority's own case number, only the actions the viewer may take, the disposal
form pre-filled from the transfer's proposal, the mixed check-out's offending line, and the approvers'
opinions on the record's page and its print."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.enums import CaseStage, DispositionKind, TransferKind
from custody.domain.judgment_orders import OrderKind, OrderLine
from custody.domain.lifecycle import CheckoutPurpose
from custody.extensions import db
from custody.models.oversight import CaseJudgment
from custody.models.transfer import Transfer
from custody.services import checkouts, dispositions, judgment_orders, transfers

from ..conftest import csrf_token
from ..factories import (
    act,
    agency,
    handed_to_procuratorate,
    judge_case,
    on_trial,
    stored_items,
)
from ..helpers import fresh

# -- 1. the judgment on the case page ----------------------------------------------------------------


def test_the_court_records_the_judgment_on_the_case_page(client, login_as):
    case, _items = stored_items(1)
    on_trial(case)
    url = f"/cases/{case.id}"
    login_as("prosecutor")
    assert 'id="judgment-form"' not in client.get(url).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("judge")
    fresh()
    assert db.session.get(type(case), case.id).stage is CaseStage.TRIAL
    page = client.get(url).get_data(as_text=True)
    assert 'id="judgment-form"' in page
    assert "登记生效判决" in page
    token = csrf_token(client, url)
    refused = client.post(
        f"/cases/{case.id}/judgment",
        data={"judgment-effective_on": "2026-01-01", "judgment-csrf_token": token},
    )
    assert refused.status_code == 422
    assert 'id="judgment-form"' in refused.get_data(as_text=True)
    done = client.post(
        f"/cases/{case.id}/judgment",
        data={
            "judgment-judgment_no": "(2026)沪0115刑初7号",
            "judgment-effective_on": local_date(app_clock.now()).isoformat(),
            "judgment-submit": "1",
            "judgment-csrf_token": token,
        },
    )
    assert done.status_code == 302
    assert done.headers["Location"].startswith(url)
    fresh()
    judgment = db.session.scalar(select(CaseJudgment).where(CaseJudgment.case_id == case.id))
    assert judgment is not None
    assert judgment.case.stage is CaseStage.EXECUTION
    page = client.get(url).get_data(as_text=True)
    assert 'id="judgment-form"' not in page
    assert "(2026)沪0115刑初7号" in page
    assert 'id="judgment-summary"' in page


def test_each_items_outcome_from_the_judgments_orders(client, login_as):
    case, [kept, returned] = stored_items(2)
    judge_case(case)
    judgment_orders.record_orders(
        db.session,
        act("judge"),
        case.id,
        [OrderLine(kind=OrderKind.RETURN, item_id=returned.id, recipient="张三")],
    )
    db.session.commit()
    login_as("police_officer")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="judgment-summary"' in page
    row = cell(page, f"outcome-{returned.id}")
    assert "第 1 项" in row
    assert "发还" in row
    assert "张三" in row
    assert "待处理" in row
    assert cell(page, f"outcome-{kept.id}") == "—"


def cell(page: str, element_id: str) -> str:
    """The text of the table cell with this id (tags dropped)."""
    match = re.search(rf'<td[^>]*id="{element_id}"[^>]*>(.*?)</td>', page, re.S)
    assert match, f"no cell {element_id}"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


# -- 3. the mixed check-out names its offending line ------------------------------------------------


def test_the_check_out_page_names_the_other_custodians_line_and_removes_it(client, login_as):
    case, [mine, theirs] = stored_items(2)
    handed_to_procuratorate(case, [theirs.id])
    login_as("police_officer")
    page = client.get(f"/checkouts/new?item_ids={mine.id}&item_ids={theirs.id}").get_data(as_text=True)
    assert f'id="wrong-line-{theirs.id}"' in page
    assert f'id="wrong-line-{mine.id}"' not in page
    line = re.search(rf'<li id="wrong-line-{theirs.id}">(.*?)</li>', page, re.S).group(1)
    assert theirs.label_code in line
    assert "浦东新区人民检察院" in line
    assert "从申请中移除" in line
    assert 'name="purpose"' not in page  # no form while a line does not belong
    remove = re.search(r'href="([^"]+)">从申请中移除', line).group(1).replace("&amp;", "&")
    assert remove == f"/checkouts/new?item_ids={mine.id}"
    page = client.get(remove).get_data(as_text=True)
    assert "wrong-line-" not in page
    assert 'name="purpose"' in page
    assert theirs.label_code not in page


# -- 4. the approvers' opinions on the page and the print --------------------------------------------


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def test_the_approvers_opinion_on_the_check_out_and_disposal_pages_and_prints(client, login_as):
    case, [lent, destroyed] = stored_items(2)
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[lent.id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=checkouts.CounterpartyInput(name="物证鉴定中心", kind=checkouts.CounterpartyKind.LAB),
        due_at=app_clock.now() + timedelta(hours=48),
    )
    db.session.commit()
    login_as("police_approver")
    url = f"/checkouts/{checkout.id}"
    token = csrf_token(client, url)
    decided = client.post(
        url, data={"decide-reason": "同意，鉴定后当日归还", "decide-approve": "1", "decide-csrf_token": token}
    )
    assert decided.status_code == 302, decided.get_data(as_text=True)[:2000]
    page = client.get(url).get_data(as_text=True)
    assert "审批意见" in page
    assert "同意，鉴定后当日归还" in cell_dd(page, "approval-opinion")
    slip = pdf_text(client.get(f"{url}/slip.pdf").data)
    assert "审批意见" in slip
    assert "同意，鉴定后当日归还" in slip

    judge_case(case)
    disposal = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[destroyed.id], kind=DispositionKind.DESTROY
    )
    db.session.commit()
    dispositions.decide_disposition(
        db.session, act("police_approver"), disposal.id, approve=True, reason="依判决销毁，注意环保"
    )
    db.session.commit()
    url = f"/dispositions/{disposal.id}"
    page = client.get(url).get_data(as_text=True)
    assert "依判决销毁，注意环保" in cell_dd(page, "approval-opinion")
    record = pdf_text(client.get(f"{url}/destruction-record.pdf").data)
    assert "审批意见" in record
    assert "依判决销毁，注意环保" in record


def cell_dd(page: str, element_id: str) -> str:
    match = re.search(rf'<dd[^>]*id="{element_id}"[^>]*>(.*?)</dd>', page, re.S)
    assert match, f"no {element_id}"
    return match.group(1)


# -- 2. the disposal form pre-filled from the transfer's proposal ------------------------------------


def selected_kind(page: str) -> str | None:
    select = re.search(r'<select[^>]*name="kind"[^>]*>(.*?)</select>', page, re.S).group(1)
    match = re.search(
        r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', select
    )
    return (match.group(1) or match.group(2)) if match else None


def test_the_disposal_form_starts_from_the_transfers_proposal(client, login_as):
    case, [a, b, c] = stored_items(3)
    transfer = transfers.propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=[a.id, b.id, c.id],
        lines={
            a.id: transfers.LineInput(proposed_disposition=DispositionKind.CONFISCATE),
            b.id: transfers.LineInput(proposed_disposition=DispositionKind.CONFISCATE),
            c.id: transfers.LineInput(proposed_disposition=DispositionKind.DESTROY),
        },
    )
    db.session.commit()
    transfers.decide_lines(
        db.session,
        act("prosecutor"),
        transfer.id,
        [a.id, b.id, c.id],
        accept=True,
        case_no="浦检刑诉[2026]2号",
    )
    db.session.commit()
    login_as("prosecutor")
    page = client.get(f"/dispositions/new?item_ids={a.id}&item_ids={b.id}").get_data(as_text=True)
    assert selected_kind(page) == "confiscate"
    assert 'id="transfer-proposals"' in page
    # Two proposals among the chosen items: listed per item, each group a link, nothing pre-selected.
    page = client.get(f"/dispositions/new?item_ids={a.id}&item_ids={b.id}&item_ids={c.id}").get_data(
        as_text=True
    )
    assert selected_kind(page) in (None, "")
    assert "没收" in page.split(f'id="proposal-{a.id}"')[1].split("</li>")[0]
    assert "销毁" in page.split(f'id="proposal-{c.id}"')[1].split("</li>")[0]
    links = [
        link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)" class="proposal-group"', page)
    ]
    assert f"/dispositions/new?item_ids={c.id}&kind=destroy" in links
    page = client.get(f"/dispositions/new?item_ids={c.id}&kind=destroy").get_data(as_text=True)
    assert selected_kind(page) == "destroy"


# -- 2. each authority's own case number; only the actions the viewer may take ----------------------


def own_number(page: str) -> str:
    return re.search(r'id="own-case-no">([^<]*)<', page).group(1)


def test_each_authority_sees_its_own_case_number_first(client, login_as):
    case, [item] = stored_items(1)
    judge_case(case, [item.id])
    fresh()
    police_no, prosecutor_no, court_no = (
        case.police_case_no,
        f"浦检刑诉[2026]{case.id}号",
        f"(2026)沪0115刑初{case.id}号",
    )
    transfer_id = db.session.scalar(select(Transfer.id).where(Transfer.kind == TransferKind.INDICTMENT))
    login_as("prosecutor")
    for url in (f"/cases/{case.id}", f"/items/{item.id}", f"/transfers/{transfer_id}"):
        page = client.get(url).get_data(as_text=True)
        assert own_number(page) == prosecutor_no, url
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("judge")
    for url in (f"/cases/{case.id}", f"/items/{item.id}", f"/transfers/{transfer_id}"):
        page = client.get(url).get_data(as_text=True)
        assert own_number(page) == court_no, url
    # The others' numbers stay on the transfer page, after the court's own.
    assert prosecutor_no in page.split('id="own-case-no"')[1]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("police_officer")
    assert own_number(client.get(f"/cases/{case.id}").get_data(as_text=True)) == police_no


def test_the_transfer_form_is_not_offered_to_who_cannot_send(client, login_as):
    case, [_item] = stored_items(1)
    judge_case(case)  # the procuratorate passed the file on: it neither handles the case nor holds items
    login_as("prosecutor")
    assert "transfers/new" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
    url = f"/transfers/new?case_id={case.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="no-transfer"' in page
    assert 'name="to_agency_id"' not in page
    refused = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, f"/cases/{case.id}"),
            "kind": TransferKind.INDICTMENT.value,
            "to_agency_id": str(agency("PDFY").id),
            "submit": "1",
        },
    )
    assert refused.status_code == 403
    assert 'id="no-transfer"' in refused.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("police_officer")  # still holds the item: offered the form
    page = client.get(url).get_data(as_text=True)
    assert 'id="no-transfer"' not in page
    assert 'name="to_agency_id"' in page
