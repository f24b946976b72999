"""The money pages (issue 13) through the test client, on every engine: the deposit form, the case's
money page and sub-ledger, victims and claims, the restitution plan, and the printed sub-ledger and
restitution list."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from custody.domain.enums import ExternalKind, LocationState
from custody.extensions import db
from custody.models.item import Item
from custody.models.money import MoneyLedger, MoneyMovement, RestitutionPlan

from ..factories import close_case, judge_case, open_case
from ..helpers import fresh, row_counts
from ..money_helpers import account, cash, deposit
from .ui import client_for, post, text, zh


def pdf_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf", response.status_code
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


@pytest.mark.parametrize("path", ["/cases/1/money", "/items/1/deposit", "/money/plans/1"])
def test_anonymous_users_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_a_keeper_deposits_cash_with_the_bank_slip(app):
    case = open_case()
    item = cash(case, 1_234_567)
    account("PDGA")
    keeper = client_for(app, "police_keeper")
    form = keeper.get(f"/items/{item.id}/deposit")
    assert form.status_code == 200
    assert "12345.67" in form.get_data(as_text=True)
    answer = post(
        keeper,
        f"/items/{item.id}/deposit",
        {"amount": "12345.67", "slip_no": "存款凭条 0099", "bank": "工行浦东分行", "submit": "1"},
    )
    assert answer.status_code == 302, text(answer)[:600]
    fresh()
    stored = db.session.get(Item, item.id)
    assert stored.location_state is LocationState.EXTERNAL
    assert stored.external_kind is ExternalKind.BANK
    page = text(keeper.get(f"/cases/{case.id}/money"))
    assert "12,345.67" in page
    assert "存款凭条 0099" in page
    assert zh("Cash deposited") in page
    assert zh("Deposited on %(date)s: %(amount)s, slip %(slip)s.", date="", amount="", slip="")[:2] in text(
        keeper.get(f"/items/{item.id}/deposit")
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "At most two decimal places (fen)."),
        ("-5", "The amount cannot be negative."),
        ("0", "The amount must be more than zero."),
        ("abc", "Enter an amount in yuan, for example 1234.50."),
    ],
)
def test_bad_amounts_are_field_errors_and_change_nothing(app, typed, message):
    item = cash(open_case(), 10_000)
    account("PDGA")
    keeper = client_for(app, "police_keeper")
    before = row_counts(MoneyMovement, MoneyLedger)
    answer = post(keeper, f"/items/{item.id}/deposit", {"amount": typed, "slip_no": "凭条 1", "submit": "1"})
    assert answer.status_code == 422
    assert zh(message) in text(answer)
    assert row_counts(MoneyMovement, MoneyLedger) == before


def test_interest_and_a_refused_remittance_on_the_money_page(app):
    case = open_case()
    deposit(cash(case, 100_000))
    ledger = db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))
    keeper = client_for(app, "police_keeper")
    page = f"/cases/{case.id}/money"
    done = post(
        keeper,
        f"/money/ledgers/{ledger.id}/interest",
        {
            f"interest-{ledger.id}-amount": "1.23",
            f"interest-{ledger.id}-reference": "结息单 1",
            f"interest-{ledger.id}-submit": "1",
        },
        form_page=page,
    )
    assert done.status_code == 302
    assert "1,001.23" in text(keeper.get(page))
    refused = post(
        keeper,
        f"/money/ledgers/{ledger.id}/remittance",
        {
            f"remittance-{ledger.id}-amount": "10",
            f"remittance-{ledger.id}-reference": "缴款书 1",
            f"remittance-{ledger.id}-submit": "1",
        },
        form_page=page,
    )
    assert refused.status_code == 409
    assert zh("The case has no effective judgment or closing decision on record yet.") in text(refused)
    fresh()  # end the test's read transaction: the requests wrote since
    close_case(case)
    over = post(
        keeper,
        f"/money/ledgers/{ledger.id}/remittance",
        {
            f"remittance-{ledger.id}-amount": "2000",
            f"remittance-{ledger.id}-reference": "缴款书 1",
            f"remittance-{ledger.id}-submit": "1",
        },
        form_page=page,
    )
    assert over.status_code == 409
    assert "余额" in text(over)


def test_restitution_through_the_pages_and_the_printed_documents(app):
    case = open_case()
    deposit(cash(case, 100_000))
    judge_case(case)
    judge = client_for(app, "judge")
    page = f"/cases/{case.id}/money"
    for name in ("李某", "王某"):
        assert (
            post(
                judge,
                f"/cases/{case.id}/money/victims",
                {"victim-name": name, "victim-id_no": "310101199001011234", "victim-submit": "1"},
                form_page=page,
            ).status_code
            == 302
        )
    fresh()
    from custody.models.money import Victim

    victims = list(db.session.scalars(select(Victim).order_by(Victim.id)))
    for victim, amount in zip(victims, ("900", "600"), strict=True):
        added = post(
            judge,
            f"/cases/{case.id}/money/claims",
            {
                "claim-klass": "victim_loss",
                "claim-victim_id": str(victim.id),
                "claim-claimed": amount,
                "claim-confirmed": amount,
                "claim-submit": "1",
            },
            form_page=page,
        )
        assert added.status_code == 302, text(added)[:800]
    generated = post(judge, f"/cases/{case.id}/money/plans", {"plan-submit": "1"}, form_page=page)
    assert generated.status_code == 302, text(generated)[:800]
    fresh()
    plan = db.session.scalar(select(RestitutionPlan))
    assert [line.allocated_fen for line in plan.lines] == [60_000, 40_000]
    plan_page = f"/money/plans/{plan.id}"
    approver = client_for(app, "court_approver")  # just logged in with the second factor: confirmed
    approved = post(approver, plan_page, {"decision-approve": "1"})
    assert approved.status_code == 302, text(approved)[:800]
    keeper = client_for(app, "court_keeper")
    for line_no in (1, 2):
        paid = post(
            keeper,
            plan_page,
            {f"pay-{line_no}-receipt_no": f"领款凭证 {line_no}", f"pay-{line_no}-submit": "1"},
        )
        assert paid.status_code == 302, text(paid)[:800]
    fresh()
    assert db.session.get(RestitutionPlan, plan.id).status.value == "completed"
    assert zh("Completed") in text(keeper.get(plan_page))
    ledger = db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))
    printed = pdf_text(keeper.get(f"/money/ledgers/{ledger.id}/sub-ledger.pdf"))
    assert "涉案款分户账" in printed
    assert "发还被害人" in printed
    assert "保管员" in printed
    listed = pdf_text(approver.get(f"/money/plans/{plan.id}/restitution-list.pdf"))
    assert "发还（退赔）清单" in listed
    assert "李某" in listed
    assert "领款人签名" in listed


def test_another_agency_sees_no_money_page(app):
    case = open_case()
    assert client_for(app, "court_keeper").get(f"/cases/{case.id}/money").status_code == 404


def test_the_sub_ledger_is_shown_newest_first_a_page_at_a_time(app):
    from custody.services import money

    from ..factories import act

    case = open_case()
    deposit(cash(case, 100_000))
    ledger = db.session.scalar(select(MoneyLedger).where(MoneyLedger.case_id == case.id))
    for n in range(55):
        money.record_interest(
            db.session, act("police_keeper"), ledger.id, amount_fen=1, reference=f"结息 {n}"
        )
    db.session.commit()
    keeper = client_for(app, "police_keeper")
    first = text(keeper.get(f"/cases/{case.id}/money"))
    assert "结息 54" in first
    assert "结息 3 " not in first
    assert "1,000.55" in first
    second = text(keeper.get(f"/cases/{case.id}/money?page=2"))
    assert "结息 3 " in second
    assert "存款凭条 0001" in second


def test_the_statistics_page_shows_the_money(app):
    case = open_case()
    deposit(cash(case, 123_400))
    page = text(client_for(app, "police_keeper").get("/oversight/statistics"))
    assert zh("Balance in case-money accounts") in page
    assert "1,234.00" in page
