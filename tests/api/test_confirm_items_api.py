"""Items confirmed in hand through the API (issue 18): ``confirmed_item_ids`` on release, return and
execution is optional (existing clients keep working); when sent, every item must be in it."""

from __future__ import annotations

from custody.models.audit import AuditEvent
from custody.models.item import Item
from custody.models.lifecycle import Checkout, Disposition

from ..conftest import otp_for
from ..helpers import row_counts
from .builders import due, stored_item

TABLES = (Item, Checkout, Disposition, AuditEvent)


def _approved_checkout(api, item_ids):
    created = api.post(
        "police_officer",
        "/checkouts",
        {"item_ids": item_ids, "purpose": "appraisal", "counterparty": "上海市物证鉴定中心", "due_at": due()},
    )
    assert created.status_code == 201, created.json
    checkout_id = created.json["id"]
    assert api.post("police_approver", f"/checkouts/{checkout_id}/approve").status_code == 200
    return checkout_id


def test_release_and_return_refuse_items_not_confirmed_when_the_list_is_sent(api):
    case_id, first = stored_item(api)
    _, second = stored_item(api)
    checkout_id = _approved_checkout(api, [first])
    before = row_counts(*TABLES)
    refused = api.post("police_keeper", f"/checkouts/{checkout_id}/release", {"confirmed_item_ids": [second]})
    assert refused.status_code == 422, refused.json
    assert refused.json["code"] == "items.unconfirmed", refused.json
    assert refused.json["unconfirmed_item_ids"] == [first]
    assert "confirmed_item_ids" in refused.json["errors"]
    assert row_counts(*TABLES) == before
    released = api.post("police_keeper", f"/checkouts/{checkout_id}/release", {"confirmed_item_ids": [first]})
    assert released.status_code == 200
    assert released.json["status"] == "released"
    wrong_type = api.post(
        "police_keeper",
        f"/checkouts/{checkout_id}/return",
        {"condition": "完好", "confirmed_item_ids": ["x"]},
    )
    assert wrong_type.status_code == 422
    assert "confirmed_item_ids" in wrong_type.json["errors"]
    empty = api.post(
        "police_keeper", f"/checkouts/{checkout_id}/return", {"condition": "完好", "confirmed_item_ids": []}
    )
    assert empty.status_code == 422
    assert empty.json["code"] == "items.unconfirmed"
    back = api.post(
        "police_keeper",
        f"/checkouts/{checkout_id}/return",
        {"condition": "完好", "confirmed_item_ids": [first]},
    )
    assert back.status_code == 200
    assert back.json["status"] == "returned"


def test_without_the_list_release_and_return_work_as_before_and_execution_checks_it_when_sent(api):
    case_id, item_id = stored_item(api)
    checkout_id = _approved_checkout(api, [item_id])
    assert api.post("police_keeper", f"/checkouts/{checkout_id}/release").status_code == 200
    assert (
        api.post("police_keeper", f"/checkouts/{checkout_id}/return", {"condition": "完好"}).status_code
        == 200
    )
    closed = api.post(
        "police_officer",
        f"/cases/{case_id}/close",
        {"legal_basis": "浦公撤字[2026]4号撤销案件决定书", "reason": "不应追究刑事责任"},
    )
    assert closed.status_code == 201, closed.json
    proposal = api.post("police_officer", "/dispositions", {"item_ids": [item_id], "kind": "confiscate"})
    assert proposal.status_code == 201, proposal.json
    disposition_id = proposal.json["id"]
    confirm = {"X-Custody-Confirm": otp_for("police_approver")}
    assert (
        api.post("police_approver", f"/dispositions/{disposition_id}/approve", headers=confirm).status_code
        == 200
    )
    execute = f"/dispositions/{disposition_id}/execute"
    refused = api.post("police_keeper", execute, {"receipt_no": "国库回执 1", "confirmed_item_ids": []})
    assert refused.status_code == 422
    assert refused.json["unconfirmed_item_ids"] == [item_id]
    done = api.post("police_keeper", execute, {"receipt_no": "国库回执 1", "confirmed_item_ids": [item_id]})
    assert done.status_code == 200
    assert done.json["status"] == "executed"
