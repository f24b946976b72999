"""An auction lot on the execution form (issue 13): reference and buyer, the total in 元 split by
appraised value; the lot is shown on the disposal page."""

from __future__ import annotations

from custody.extensions import db
from custody.models.lifecycle import Disposition

from ..factories import approved_sale
from ..helpers import fresh
from .ui import client_for, get, submit, text_of


def test_the_keeper_records_a_lot_on_the_execution_form(app):
    sale, (a, b) = approved_sale([200_000, 200_000])
    url = f"/dispositions/{sale.id}"
    keeper = client_for(app, "police_keeper")
    page = get(keeper, url)
    assert 'name="execute-auction_ref"' in page
    assert 'name="execute-buyer"' in page
    refused = submit(
        keeper, url, "execute", receipt_no="成交确认书 A-7", proceeds="1,000.01", auction_ref="拍12号"
    )
    assert refused.status_code == 422
    assert 'id="execute-buyer-err"' in text_of(refused)
    response = submit(
        keeper,
        url,
        "execute",
        receipt_no="成交确认书 A-7",
        proceeds="1,000.01",
        auction_ref="拍12号",
        buyer="某买受人",
        confirmed_item_ids=[a.id, b.id],
    )
    assert response.status_code == 302, text_of(response)[:3000]
    page = get(keeper, url)
    assert "拍12号" in page
    assert "按估价比例" in page
    assert "¥500.01" in page
    assert "¥500.00" in page
    fresh()
    assert db.session.get(Disposition, sale.id).lot_buyer == "某买受人"
