"""The judgment's orders on the case's milestones page and in the court's inbox: the court adds a
line, the holder proposes the disposals with one button (按判决生成处置申请), the executed order waits in
the court's inbox (待确认执行回单) and the court closes it with the receipt."""

from __future__ import annotations

from sqlalchemy import select

from custody.domain.judgment_orders import OrderStatus
from custody.extensions import db
from custody.models.oversight import JudgmentOrder
from custody.services import dispositions

from ..conftest import csrf_token
from ..factories import act, judge_case, stored_items
from ..helpers import fresh


def switch(client, login_as, username):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as(username)


def test_orders_from_the_judgment_to_the_courts_inbox(client, login_as):
    case, [item] = stored_items(1)
    judge_case(case)
    page_url = f"/oversight/cases/{case.id}"
    login_as("judge")
    page = client.get(page_url).get_data(as_text=True)
    assert "order-kind" in page
    assert "按判决生成处置申请" not in page
    token = csrf_token(client, page_url)
    refused = client.post(
        page_url,
        data={
            "order-kind": "return",
            "order-item_id": str(item.id),
            "order-submit": "1",
            "order-csrf_token": token,
        },
    )
    assert refused.status_code == 422
    assert "领取人" in refused.get_data(as_text=True)
    added = client.post(
        page_url,
        data={
            "order-kind": "confiscate",
            "order-item_id": str(item.id),
            "order-note": "作案工具",
            "order-submit": "1",
            "order-csrf_token": token,
        },
    )
    assert added.status_code == 302
    fresh()
    [order] = db.session.scalars(select(JudgmentOrder))
    assert order.status is OrderStatus.OPEN

    switch(client, login_as, "police_officer")
    page = client.get(page_url).get_data(as_text=True)
    assert "按判决生成处置申请" in page
    assert "order-list" in page
    token = csrf_token(client, page_url)
    proposed = client.post(page_url, data={"propose-submit": "1", "propose-csrf_token": token})
    assert proposed.status_code == 302
    fresh()
    order = db.session.get(JudgmentOrder, order.id)
    assert order.status is OrderStatus.PROPOSED
    dispositions.decide_disposition(db.session, act("police_approver"), order.disposition_id, approve=True)
    db.session.commit()
    dispositions.execute_disposition(
        db.session, act("police_keeper"), order.disposition_id, receipt_no="国库回执 9"
    )
    db.session.commit()

    switch(client, login_as, "judge")
    home = client.get("/").get_data(as_text=True)
    assert "待确认执行回单" in home
    assert case.title in home
    token = csrf_token(client, page_url)
    closed = client.post(
        page_url,
        data={
            "ack-order_id": str(order.id),
            "ack-receipt_no": "执行回单 2026-9",
            "ack-submit": "1",
            "ack-csrf_token": token,
        },
    )
    assert closed.status_code == 302
    fresh()
    assert db.session.get(JudgmentOrder, order.id).status is OrderStatus.CLOSED
    page = client.get(page_url).get_data(as_text=True)
    assert "执行回单 2026-9" in page
    history = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "第1项" in history
    assert "确认判决" in history
