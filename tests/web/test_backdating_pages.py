"""Issue 14 on the pages: a back-dated check-in is shown as such on the timeline, judged late by when it
was recorded, and listed for supervisors (/oversight/backdated)."""

from __future__ import annotations

from ..factories import REASON, late_check_in
from .ui import client_for, text, zh


def test_the_timeline_says_a_back_dated_check_in_was_late(app):
    item = late_check_in()
    page = text(client_for(app, "police_officer").get(f"/items/{item.id}"))
    assert zh("Back-dated") in page
    assert REASON in page
    assert "逾期：扣押后 30.0 小时才登记，超过 24 小时时限" in page


def test_supervisors_list_back_dated_entries(app):
    item = late_check_in()
    approver = client_for(app, "police_approver")
    assert zh("Back-dated entries") in text(approver.get("/oversight/"))
    listed = approver.get("/oversight/backdated")
    assert listed.status_code == 200
    page = text(listed)
    assert item.label_code in page
    assert REASON in page
    assert zh("Late into storage") in page
    assert item.label_code in text(approver.get("/oversight/backdated?late=1"))
    assert item.label_code in text(client_for(app, "auditor").get("/oversight/backdated"))
    assert item.label_code not in text(client_for(app, "prosecutor_approver").get("/oversight/backdated"))
    assert client_for(app, "police_keeper").get("/oversight/backdated").status_code == 403
