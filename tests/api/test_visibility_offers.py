"""Issue 14 through the API: a recalled or rejected offer gives the receiver no read access to the case
(items, events, seizure lists, dossier); a pending one shows only its own lines."""

from __future__ import annotations

from custody.extensions import db
from custody.services.transfers import decide_lines, recall_transfer

from ..factories import act, send_to_procuratorate, stored_items


def records(case_id, item_id):
    """Every read of the case and of one of its items: each must be a 404 to an outsider."""
    return [
        f"/cases/{case_id}",
        f"/cases/{case_id}/seizure-lists",
        f"/items/{item_id}",
        f"/items/{item_id}/events",
        f"/audit/dossier?item_id={item_id}",
        f"/audit/dossier?case_id={case_id}",
    ]


def assert_sees_nothing(api, username, case_id, item_id):
    for path in records(case_id, item_id):
        response = api.get(username, path)
        assert response.status_code == 404, path
        assert response.json["code"].startswith("not_found"), path
    assert api.get(username, f"/items?case_id={case_id}").json == []


def test_a_pending_offer_shows_only_its_own_lines(app, api):
    case, [offered, kept] = stored_items(2)
    send_to_procuratorate(case, [offered.id])
    assert api.get("prosecutor", f"/items/{offered.id}").status_code == 200
    assert api.get("prosecutor", f"/items/{offered.id}/events").status_code == 200
    for path in (f"/cases/{case.id}", f"/cases/{case.id}/seizure-lists", f"/items/{kept.id}"):
        assert api.get("prosecutor", path).status_code == 404, path
    assert [row["id"] for row in api.get("prosecutor", "/items").json] == [offered.id]
    assert case.id not in [row["id"] for row in api.get("prosecutor", "/cases").json]


def test_a_recalled_offer_leaves_the_receiver_nothing_to_read(app, api):
    case, [offered, kept] = stored_items(2)
    transfer = send_to_procuratorate(case, [offered.id])
    recall_transfer(db.session, act("police_officer"), transfer.id)
    db.session.commit()
    assert_sees_nothing(api, "prosecutor", case.id, offered.id)
    assert_sees_nothing(api, "prosecutor", case.id, kept.id)
    assert api.get("prosecutor", f"/transfers/{transfer.id}").status_code == 200  # its own record
    for path in records(case.id, offered.id):
        assert api.get("auditor", path).status_code == 200, path


def test_a_rejected_offer_leaves_the_receiver_nothing_to_read(app, api):
    case, [offered] = stored_items(1)
    transfer = send_to_procuratorate(case, [offered.id])
    decide_lines(db.session, act("prosecutor"), transfer.id, [offered.id], accept=False, reason="封条破损")
    db.session.commit()
    assert_sees_nothing(api, "prosecutor", case.id, offered.id)
