"""Issue 14 through the API: the supervisors' list of back-dated entries."""

from __future__ import annotations

from ..factories import REASON, late_check_in


def test_the_api_lists_back_dated_entries(app, api):
    item = late_check_in()
    listed = api.get("police_approver", "/backdated-entries")
    assert listed.status_code == 200
    [entry] = listed.json
    assert entry["label_code"] == item.label_code
    assert entry["late"] is True
    assert entry["hours_earlier"] == 29.0
    assert entry["reason"] == REASON
    assert entry["action"] == "item.check_in"
    assert api.get("police_approver", "/backdated-entries?late=true").json == [entry]
    refused = api.get("police_keeper", "/backdated-entries")
    assert refused.status_code == 403
    assert refused.json["code"] == "policy.review_backdating"
