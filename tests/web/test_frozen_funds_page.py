"""The case money page's frozen funds section (issue 13): per account, totals, the queue, in Chinese."""

from __future__ import annotations

from ..money_helpers import a_case_with_frozen_funds
from .ui import client_for, get


def test_the_case_money_page_lists_the_frozen_funds(app):
    case, held, alipay, released, waiting_item, waiting = a_case_with_frozen_funds()
    page = get(client_for(app, "police_officer"), f"/cases/{case.id}/money")
    section = page[page.index('id="frozen-funds"') : page.index('id="money-movements"')]
    assert "冻结资金" in section
    assert 'id="frozen-total">¥13,000.00' in section
    assert "¥2,000.00" in section
    assert "轮候" in section
    assert "第 2 位" in section
    assert "第三方支付账户" in section
    assert "继续冻结通知书 1" in section
    assert "解除冻结通知书 2" in section
    assert "6222021001120000001" in section  # the holding agency sees the account number
