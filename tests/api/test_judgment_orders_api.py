"""The judgment's orders through the JSON API: recording, one-action proposal, the receipt closing the
order, and the refusals as problem+json (who may, bad lines, nothing written)."""

from __future__ import annotations

from custody.extensions import db
from custody.services import dispositions

from ..factories import act, judge_case, stored_items


def test_orders_propose_execute_and_acknowledge(app, api):
    case, [a, b] = stored_items(2)
    judge_case(case)
    recorded = api.post(
        "judge",
        f"/cases/{case.id}/judgment-orders",
        {
            "lines": [
                {"kind": "confiscate", "item_id": a.id},
                {"kind": "confiscate", "item_id": b.id, "note": "作案工具"},
                {"kind": "confiscate", "amount_fen": 88_800},
            ]
        },
    )
    assert recorded.status_code == 201, recorded.json
    assert [o["line_no"] for o in recorded.json] == [1, 2, 3]
    assert {o["status"] for o in recorded.json} == {"open"}

    proposed = api.post("police_officer", f"/cases/{case.id}/judgment-orders/propose")
    assert proposed.status_code == 201, proposed.json
    [disposal] = proposed.json
    assert disposal["kind"] == "confiscate"
    assert disposal["status"] == "proposed"
    again = api.post("police_officer", f"/cases/{case.id}/judgment-orders/propose")
    assert again.status_code == 409
    assert again.json["code"] == "order.nothing_to_propose"
    assert again.headers["Content-Type"].startswith("application/problem+json")

    dispositions.decide_disposition(db.session, act("police_approver"), disposal["id"], approve=True)
    db.session.commit()
    dispositions.execute_disposition(
        db.session, act("police_keeper"), disposal["id"], receipt_no="国库回执 7"
    )
    db.session.commit()

    waiting = api.get("judge", "/judgment-orders/awaiting-receipt")
    assert waiting.status_code == 200
    assert len(waiting.json) == 2
    assert api.get("police_officer", "/judgment-orders/awaiting-receipt").json == []
    order_id = waiting.json[0]["id"]
    refused = api.post("police_officer", f"/judgment-orders/{order_id}/receipt", {"receipt_no": "R"})
    assert refused.status_code == 403
    closed = api.post("judge", f"/judgment-orders/{order_id}/receipt", {"receipt_no": "执行回单 2026-7"})
    assert closed.status_code == 200
    assert closed.json["status"] == "closed"
    assert closed.json["receipt_no"] == "执行回单 2026-7"
    listed = api.get("judge", f"/cases/{case.id}/judgment-orders").json
    assert [o["status"] for o in listed] == ["closed", "executed", "open"]


def test_refusals_are_problems_and_write_nothing(app, api):
    case, [item] = stored_items(1)
    path = f"/cases/{case.id}/judgment-orders"
    line = {"kind": "confiscate", "item_id": item.id}
    # Before the judgment (the police see the case; the court does not yet).
    before = api.post("police_officer", path, {"lines": [line]})
    assert before.status_code == 409
    assert before.json["code"] == "case.no_judgment"
    assert api.post("judge", path, {"lines": [line]}).status_code == 404
    judge_case(case)
    # Not the court.
    denied = api.post("police_officer", path, {"lines": [line]})
    assert denied.status_code == 403
    assert denied.json["code"] == "policy.record_judgment"
    # Bad lines.
    for bad, status, code in (
        ({"kind": "confiscate", "amount_fen": 0}, 422, "order.amount"),
        ({"kind": "confiscate", "amount_fen": 1.5}, 422, "order.amount"),
        ({"kind": "return", "item_id": item.id}, 422, "order.recipient_required"),
        ({"kind": "destroy", "item_id": 999_999}, 422, "order.not_of_case"),
    ):
        answer = api.post("judge", path, {"lines": [bad]})
        assert answer.status_code == status, answer.json
        assert answer.json["code"] == code, answer.json
        assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert api.post("judge", path, {"lines": []}).status_code == 422
    assert api.post("judge", path, {"lines": [{"kind": "nonsense"}]}).status_code == 422
    twice = api.post("judge", path, {"lines": [line, {"kind": "destroy", "item_id": item.id}]})
    assert twice.status_code == 409
    assert twice.json["code"] == "order.item_in_open_order"
    assert api.get("judge", path).json == []  # nothing was written
    # Unknown order, unauthenticated.
    assert api.post("judge", "/judgment-orders/999999/receipt", {"receipt_no": "R"}).status_code == 404
    assert app.test_client().get(f"/api/v1{path}").status_code == 401
