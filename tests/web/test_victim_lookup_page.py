"""The public lookup page for a victim (issue 13): their own restitution status in Chinese, nobody
else's; the case money page gives the handler each victim's lookup number and code."""

from __future__ import annotations

from custody.domain.owner_lookup import format_code

from ..money_helpers import approve, pay, propose, two_victims
from .ui import client_for, get, lookup


def test_a_victim_sees_only_their_own_status_on_the_public_page(app, client):
    case, li, wang = two_victims()
    pay(approve(propose(case)), 2, "领款凭证 W-1")
    response = lookup(client, li.lookup_no, format_code(li.lookup_code).lower())
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert response.headers["Cache-Control"] == "no-store"
    assert "退赔被害人损失" in html or "被害人" in html
    assert "¥3,000.00" in html
    assert "¥2,400.00" in html
    assert "已批准" in html
    for other in ("王某", "李某", "¥2,000.00", "¥1,600.00", "¥4,000.00", "¥500.00", "310115198001011234"):
        assert other not in html, other
    wrong = lookup(client, li.lookup_no, wang.lookup_code)
    assert wrong.status_code == 404
    assert "¥3,000.00" not in wrong.get_data(as_text=True)


def test_the_handler_sees_each_victims_lookup_number_and_code(app):
    case, li, wang = two_victims()
    page = get(client_for(app, "judge"), f"/cases/{case.id}/money")
    assert li.lookup_no in page
    assert format_code(li.lookup_code) in page
    assert format_code(wang.lookup_code) in page


def test_a_victim_paid_under_the_judgments_order_sees_it_on_the_public_page(app, client):
    from custody.domain.judgment_orders import OrderKind, OrderLine
    from custody.extensions import db
    from custody.services import judgment_orders

    from ..factories import act
    from ..money_helpers import funded_case, victim

    case = funded_case(400_000)
    li, wang = victim(case, "李某"), victim(case, "王某")
    judgment_orders.record_orders(
        db.session,
        act("judge"),
        case.id,
        [
            OrderLine(OrderKind.PAY_VICTIM, amount_fen=300_000, victim_id=li.id),
            OrderLine(OrderKind.PAY_VICTIM, amount_fen=200_000, victim_id=wang.id),
        ],
    )
    db.session.commit()
    pay(approve(propose(case)), 1, "领款凭证 O-1")
    html = lookup(client, li.lookup_no, format_code(li.lookup_code)).get_data(as_text=True)
    assert "判决责令退赔" in html
    assert "¥3,000.00" in html
    assert "¥2,400.00" in html
    for other in ("王某", "李某", "¥2,000.00", "¥1,600.00", "¥4,000.00"):
        assert other not in html, other
