"""Auction lots through the API (issue 13): the lot on the execution, its split, errors and auth."""

from __future__ import annotations

from custody.models.lifecycle import Disposition, DispositionLine

from ..factories import approved_sale
from ..helpers import row_counts

LOT = {"reference": "（2026）沪0115拍12号", "buyer": "上海某买受人"}


def test_a_lot_is_executed_through_the_api_and_split_by_appraised_value(app, api):
    sale, (a, b) = approved_sale([300_000, 100_000])
    url = f"/dispositions/{sale.id}/execute"
    body = {"receipt_no": "成交确认书 A-7", "proceeds_fen": 100_001, "lot": LOT}
    assert api.post("auditor", url, body).status_code == 403
    before = row_counts(Disposition, DispositionLine)
    no_buyer = api.post("police_keeper", url, {**body, "lot": {"reference": "x"}})
    assert no_buyer.status_code == 422
    assert "lot" in str(no_buyer.json)
    bad_prices = api.post("police_keeper", url, {**body, "line_proceeds": {str(a.id): 1, str(b.id): 2}})
    assert bad_prices.status_code == 422
    assert "line_proceeds" in str(bad_prices.json)
    fractional = api.post("police_keeper", url, {**body, "proceeds_fen": 1000.5})
    assert fractional.status_code == 422
    assert row_counts(Disposition, DispositionLine) == before
    done = api.post("police_keeper", url, body)
    assert done.status_code == 200, done.json
    assert (done.json["lot_auction_ref"], done.json["lot_split"], done.json["lot_proceeds_fen"]) == (
        "（2026）沪0115拍12号",
        "appraised",
        100_001,
    )
    assert done.json["lot_buyer"] == "上海某买受人"  # the custodian's keeper sees it in full
    assert {line["item_id"]: line["proceeds_fen"] for line in done.json["lines"]} == {
        a.id: 75_001,
        b.id: 25_000,
    }
    other = api.get("court_keeper", f"/dispositions/{sale.id}")
    if other.status_code == 200:
        assert other.json["lot_buyer"] != "上海某买受人"  # masked for another agency
