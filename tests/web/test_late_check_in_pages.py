"""The check-in page asks why a late police item comes after the 24 hours (issue 18)."""

from __future__ import annotations

import re
from datetime import timedelta

from custody.domain import clock as app_clock
from custody.extensions import db
from custody.models.item import Item

from ..factories import location, open_case, register
from ..helpers import events, fresh
from .ui import client_for, post, text, zh


def test_the_page_asks_for_the_late_reason_only_when_a_late_item_is_in_the_batch(app):
    case = open_case()
    on_time = register(case, name="白色手机")
    late = register(case, name="迟到的手机", seized_at=app_clock.now() - timedelta(hours=30))
    keeper = client_for(app, "police_keeper")
    calm = keeper.get(f"/storage/check-in?code={on_time.label_code}").get_data(as_text=True)
    assert re.search(r"<div data-late-reason hidden>", calm)
    asked = keeper.get(f"/storage/check-in?code={late.label_code}").get_data(as_text=True)
    assert "<div data-late-reason>" in asked
    assert "data-late" in asked
    assert keeper.get(f"/storage/lookup?code={late.label_code}").json["late"] is True
    assert keeper.get(f"/storage/lookup?code={on_time.label_code}").json["late"] is False

    data = {"location_id": location("R3-A-01").id, "codes_text": f"{on_time.label_code}\n{late.label_code}"}
    refused = post(keeper, "/storage/check-in", data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="late_reason-err"' in page
    assert late.label_code in text(refused)
    assert zh("Why after the 24 hours") in text(refused)
    fresh()
    assert db.session.get(Item, late.id).storage_location_id is None
    done = post(keeper, "/storage/check-in", {**data, "late_reason": "夜间扣押，次日移交"})
    assert done.status_code == 302, text(done)[:600]
    assert events("item.check_in", item_id=late.id)[0].data["late_reason"] == "夜间扣押，次日移交"
    assert "late_reason" not in events("item.check_in", item_id=on_time.id)[0].data
    assert "夜间扣押，次日移交" in text(keeper.get(f"/items/{late.id}"))
