"""The registration and import forms offer only the seizure lists the user's agency drew up."""

from __future__ import annotations

from ..factories import judge_case, stored_items
from ..helpers import fresh
from .ui import client_for, text


def test_a_court_registering_items_is_not_offered_the_police_seizure_list(app):
    case, stored = stored_items(1)
    police_list = stored[0].seizure_list.list_no
    assert police_list in text(client_for(app, "police_officer").get(f"/cases/{case.id}/items/new"))
    fresh()  # end the test's read transaction: the page request has written since (login)
    judge_case(case)  # the case is now the court's: the judge may register items, on a list of its own
    judge = client_for(app, "judge")
    for url in (f"/cases/{case.id}/items/new", f"/cases/{case.id}/import"):
        response = judge.get(url)
        assert response.status_code == 200
        assert police_list not in text(response), url
