"""Money through the JSON API (issue 13): auth and error paths, bad amounts as problems with nothing
changed, and the restitution journey from deposit to the treasury."""

from __future__ import annotations

import pytest

from custody.models.audit import AuditEvent
from custody.models.money import MoneyLedger, MoneyMovement, RestitutionClaim, RestitutionPlan, Victim

from ..conftest import otp_for
from ..factories import judge_case, open_case
from ..helpers import row_counts
from ..money_helpers import account, cash

TABLES = (MoneyMovement, MoneyLedger, AuditEvent, Victim, RestitutionClaim, RestitutionPlan)


def deposit_body(amount=100_000, **extra):
    return {"amount_fen": amount, "slip_no": "存款凭条 A-1", "bank": "工行浦东分行", **extra}


@pytest.fixture
def funded(app):
    case = open_case()
    item = cash(case, 100_000)
    account("PDGA")
    return case, item


def test_deposit_and_read_the_sub_ledger(api, funded):
    case, item = funded
    answer = api.post("police_keeper", f"/items/{item.id}/deposit", deposit_body())
    assert answer.status_code == 201, answer.json
    assert answer.json["kind"] == "deposit"
    assert answer.json["balance_after_fen"] == 100_000
    summary = api.get("police_officer", f"/cases/{case.id}/money").json
    assert summary["balance_fen"] == 100_000
    assert summary["ledgers"][0]["account"]["agency"]["code"] == "PDGA"
    lines = api.get("police_officer", f"/cases/{case.id}/money/movements")
    assert lines.status_code == 200
    assert [m["seq"] for m in lines.json] == [1]
    assert "X-Pagination" in lines.headers


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (-5, "negative"),
        (0, "more than zero"),
        (12.5, "fraction"),
        ("1.01", "fraction"),
        (10**13 + 1, "too large"),
        (10**40, "too large"),
        (True, "whole number"),
        ("x", "whole number"),
    ],
)
def test_bad_amounts_are_problems_and_change_nothing(api, funded, amount, words):
    case, item = funded
    api.get("police_keeper", f"/cases/{case.id}/money")  # log in first: its security events are not the point
    before = row_counts(*TABLES)
    answer = api.post("police_keeper", f"/items/{item.id}/deposit", deposit_body(amount))
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert "amount_fen" in answer.json["errors"]
    assert row_counts(*TABLES) == before


def test_english_and_chinese_messages(client, auth_headers, funded):
    _, item = funded
    answer = client.post(
        f"/api/v1/items/{item.id}/deposit",
        json=deposit_body(12.5),
        headers={**auth_headers("police_keeper"), "Accept-Language": "zh-CN"},
    )
    assert "不能记录不足一分" in answer.json["errors"]["amount_fen"][0]


def test_who_may_deposit(api, client, funded):
    case, item = funded
    assert client.post(f"/api/v1/items/{item.id}/deposit", json=deposit_body()).status_code == 401
    refused = api.post("police_officer", f"/items/{item.id}/deposit", deposit_body())
    assert refused.status_code == 403
    assert refused.json["code"] == "policy.record_money"
    hidden = api.post("court_keeper", f"/items/{item.id}/deposit", deposit_body())
    assert hidden.status_code == 404
    assert api.get("court_keeper", f"/cases/{case.id}/money").status_code == 404


def test_an_overdraft_is_a_conflict(api, funded):
    from ..factories import close_case

    case, item = funded
    api.post("police_keeper", f"/items/{item.id}/deposit", deposit_body())
    close_case(case)
    ledger_id = api.get("police_keeper", f"/cases/{case.id}/money").json["ledgers"][0]["id"]
    before = row_counts(*TABLES)  # (already logged in above)
    answer = api.post(
        "police_keeper",
        f"/money/ledgers/{ledger_id}/remittance",
        {"amount_fen": 100_001, "payment_form_no": "缴款书 1"},
    )
    assert answer.status_code == 409
    assert answer.json["code"] == "money.insufficient_balance"
    assert row_counts(*TABLES) == before
    paid = api.post(
        "police_keeper",
        f"/money/ledgers/{ledger_id}/remittance",
        {"amount_fen": 100_000, "payment_form_no": "缴款书 1"},
    )
    assert paid.status_code == 201
    assert paid.json["balance_after_fen"] == 0


def test_only_administrators_register_accounts(api, app):
    from ..factories import agency

    body = {"agency_id": agency("PDJC").id, "bank": "建行", "account_no": "3100 9999", "account_name": "专户"}
    assert api.post("police_keeper", "/money/accounts", body).status_code == 403
    created = api.post("admin", "/money/accounts", body)
    assert created.status_code == 201
    assert created.json["account_no"] == "31009999"
    assert api.post("admin", "/money/accounts", body).json["code"] == "money.account_exists"
    assert any(a["account_no"] == "31009999" for a in api.get("prosecutor", "/money/accounts").json)


def test_restitution_journey(api, funded):
    case, item = funded
    api.post("police_keeper", f"/items/{item.id}/deposit", deposit_body())
    judge_case(case)  # the money follows the case to the court
    assert (
        api.get("judge", f"/cases/{case.id}/money").json["ledgers"][0]["custodian_agency"]["code"] == "PDFY"
    )
    victims = []
    for name, loss in (("李某", 90_000), ("王某", 60_000)):
        victim = api.post("judge", f"/cases/{case.id}/victims", {"name": name, "id_no": "310101199001011234"})
        assert victim.status_code == 201, victim.json
        claim = api.post(
            "judge",
            f"/cases/{case.id}/claims",
            {
                "klass": "victim_loss",
                "claimed_fen": loss,
                "confirmed_fen": loss,
                "victim_id": victim.json["id"],
            },
        )
        assert claim.status_code == 201, claim.json
        victims.append(victim.json)
    # The police officer sees the case but not the victims' ID numbers.
    seen = api.get("police_officer", f"/cases/{case.id}/victims").json
    assert seen[0]["id_no"].startswith("310")
    assert "*" in seen[0]["id_no"]
    plan = api.post("judge", f"/cases/{case.id}/restitution-plans", {})
    assert plan.status_code == 201, plan.json
    assert [line["allocated_fen"] for line in plan.json["lines"]] == [60_000, 40_000]  # 100,000 × 9/15, 6/15
    plan_id = plan.json["id"]
    assert api.post("court_approver", f"/restitution-plans/{plan_id}/approve").status_code == 401
    confirm = {"X-Custody-Confirm": otp_for("court_approver")}
    approved = api.post("court_approver", f"/restitution-plans/{plan_id}/approve", headers=confirm)
    assert approved.status_code == 200
    assert approved.json["status"] == "approved"
    for line_no in (1, 2):
        paid = api.post(
            "court_keeper",
            f"/restitution-plans/{plan_id}/lines/{line_no}/pay",
            {"receipt_no": f"领款 {line_no}"},
        )
        assert paid.status_code == 201, paid.json
    done = api.get("judge", f"/restitution-plans/{plan_id}").json
    assert done["status"] == "completed"
    assert api.get("judge", f"/cases/{case.id}/money").json["balance_fen"] == 0
    again = api.post("court_keeper", f"/restitution-plans/{plan_id}/lines/1/pay", {"receipt_no": "x"})
    assert again.status_code == 409


def test_plan_errors(api, funded):
    case, _ = funded
    assert (
        api.post("judge", f"/cases/{case.id}/restitution-plans", {}).status_code == 404
    )  # not the court's case
    refused = api.post("police_officer", f"/cases/{case.id}/restitution-plans", {})
    assert refused.status_code == 403  # the police hold no money of it yet
    assert api.get("police_officer", "/restitution-plans/999999").status_code == 404
    bad = api.post("police_officer", f"/cases/{case.id}/claims", {"klass": "fine", "claimed_fen": -1})
    assert bad.status_code == 422
    assert "claimed_fen" in bad.json["errors"]


def test_money_statistics(api, funded):
    case, item = funded
    api.post("police_keeper", f"/items/{item.id}/deposit", deposit_body())
    stats = api.get("police_keeper", "/money/statistics")
    assert stats.status_code == 200
    assert stats.json["total_balance_fen"] == 100_000
    assert api.get("police_officer", "/money/statistics").status_code == 403


def test_a_plan_from_the_judgments_orders_names_them(api, funded):
    case, item = funded
    api.post("police_keeper", f"/items/{item.id}/deposit", deposit_body())
    judge_case(case)
    victim = api.post("judge", f"/cases/{case.id}/victims", {"name": "李某"}).json
    orders = api.post(
        "judge",
        f"/cases/{case.id}/judgment-orders",
        {"lines": [{"kind": "pay_victim", "amount_fen": 30_000, "victim_id": victim["id"]}]},
    )
    assert orders.status_code == 201, orders.json
    plan = api.post("judge", f"/cases/{case.id}/restitution-plans", {})
    assert plan.status_code == 201, plan.json
    [order] = api.get("judge", f"/cases/{case.id}/judgment-orders").json
    assert [(line["kind"], line["order_id"], line["allocated_fen"]) for line in plan.json["lines"]] == [
        ("order", order["id"], 30_000),
        ("remainder", None, 70_000),
    ]
    assert order["status"] == "proposed"
    stats = api.get("court_keeper", "/money/statistics").json
    assert stats["owed_to_victims_fen"] == 30_000
    assert stats["awaiting_remittance_fen"] == 0
