"""Issue 14 on the pages: a back-dated check-in is shown as such on the timeline, judged late by when it
was recorded, and listed for supervisors (/oversight/backdated)."""

from __future__ import annotations

from datetime import timedelta

from custody.domain import clock as app_clock
from custody.domain.enums import ItemCategory
from custody.extensions import db
from custody.services import storage

from ..factories import act, location, open_case, register
from .ui import client_for, text, zh

REASON = "系统故障，事后补录"


def late_check_in():
    item = register(
        open_case(),
        name="摩托车",
        category=ItemCategory.GOODS,
        seized_at=app_clock.now() - timedelta(hours=30),
    )
    storage.check_in(
        db.session,
        act("police_keeper"),
        item.id,
        location_id=location("R1-A-01").id,
        occurred_at=app_clock.now() - timedelta(hours=29),
        reason=REASON,
    )
    db.session.commit()
    return item


def test_the_timeline_says_a_back_dated_check_in_was_late(app):
    item = late_check_in()
    page = text(client_for(app, "police_officer").get(f"/items/{item.id}"))
    assert zh("Back-dated") in page and REASON in page
    assert "逾期：扣押后 30.0 小时才登记，超过 24 小时时限" in page


def test_supervisors_list_back_dated_entries(app):
    item = late_check_in()
    approver = client_for(app, "police_approver")
    assert zh("Back-dated entries") in text(approver.get("/oversight/"))
    listed = approver.get("/oversight/backdated")
    assert listed.status_code == 200
    page = text(listed)
    assert item.label_code in page and REASON in page and zh("Late into storage") in page
    assert item.label_code in text(approver.get("/oversight/backdated?late=1"))
    assert item.label_code in text(client_for(app, "auditor").get("/oversight/backdated"))
    assert item.label_code not in text(client_for(app, "prosecutor_approver").get("/oversight/backdated"))
    assert client_for(app, "police_keeper").get("/oversight/backdated").status_code == 403
