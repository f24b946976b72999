"""The API names what the requesting user may do with an item, a case and a transfer now
(``actions``, from services/actions — the same answer the pages offer as buttons)."""

from __future__ import annotations

from ..factories import send_to_procuratorate, stored_items


def test_item_case_and_transfer_carry_the_requesting_users_actions(app, api):
    case, [item] = stored_items(1)
    assert "transfer" in api.get("police_officer", f"/items/{item.id}").json["actions"]
    assert "move" in api.get("police_keeper", f"/items/{item.id}").json["actions"]
    assert api.get("police_officer", f"/cases/{case.id}").json["actions"] == [
        "register",
        "transfer",
        "move_case",
    ]
    assert api.get("auditor", f"/cases/{case.id}").json["actions"] == []
    transfer = send_to_procuratorate(case, [item.id])
    assert api.get("police_officer", f"/transfers/{transfer.id}").json["actions"] == ["recall"]
    assert api.get("prosecutor", f"/transfers/{transfer.id}").json["actions"] == ["sign_for"]
    assert "transfer" not in api.get("police_officer", f"/items/{item.id}").json["actions"]  # in one now
