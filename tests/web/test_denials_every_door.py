"""Every denial is recorded (docs/ARCHITECTURE.md), whichever front door refused it.

The same refused action through the API and through the page's form leaves the same
``permission.denied`` security event: one per attempt, with the same rule (the refusal's code).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from custody.domain import clock
from custody.domain.enums import DispositionKind, TransferKind
from custody.domain.lifecycle import CheckoutPurpose
from custody.extensions import db
from custody.services import checkouts, dispositions

from ..factories import act, agency, open_case, send_to_procuratorate, stored_items
from ..helpers import events
from .builders import documented_ring
from .ui import client_for, post

Door = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]


def _transfer_setup() -> dict[str, Any]:
    case, [item] = stored_items(1)
    return {"case": case.id, "item": item.id, "to": agency("PDJC").id}


def _recall_setup() -> dict[str, Any]:
    case, [item] = stored_items(1)
    return {"transfer": send_to_procuratorate(case, [item.id]).id}


def _disposal_setup() -> dict[str, Any]:
    case = open_case()
    ring = documented_ring(case)
    disposal = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[ring.id], kind=DispositionKind.PRETRIAL_RETURN
    )
    db.session.commit()
    return {"disposal": disposal.id}


def _approve_setup() -> dict[str, Any]:
    case, [item] = stored_items(1)
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[item.id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=checkouts.CounterpartyInput(
            name="钱工", kind=checkouts.CounterpartyKind.LAB, organisation="市公安局物证鉴定中心"
        ),
        due_at=clock.now() + timedelta(days=2),
    )
    db.session.commit()
    return {"checkout": checkout.id}


# Each case: what to set up, then the API request and the page form that attempt the same action.
CASES: dict[str, tuple[Callable[[], dict[str, Any]], Door, Door]] = {
    # A keeper may not send the case to the procuratorate (issue 16: the page used to record nothing).
    "keeper proposes a transfer": (
        _transfer_setup,
        lambda s: (
            "/api/v1/transfers",
            {
                "case_id": s["case"],
                "to_agency_id": s["to"],
                "kind": TransferKind.PROSECUTION.value,
                "item_ids": [s["item"]],
            },
        ),
        lambda s: (
            f"/transfers/new?case_id={s['case']}",
            {
                "kind": TransferKind.PROSECUTION.value,
                "to_agency_id": s["to"],
                "item_ids": s["item"],
                "submit": "1",
            },
        ),
    ),
    "keeper recalls the officer's transfer": (
        _recall_setup,
        lambda s: (f"/api/v1/transfers/{s['transfer']}/recall", {"reason": "误发"}),
        lambda s: (
            f"/transfers/{s['transfer']}/recall",
            {"recall-reason": "误发", "recall-submit": "1", "_page": f"/transfers/{s['transfer']}"},
        ),
    ),
    "keeper approves a check-out": (
        _approve_setup,
        lambda s: (f"/api/v1/checkouts/{s['checkout']}/approve", {}),
        lambda s: (
            f"/checkouts/{s['checkout']}",
            {"decide-approve": "1", "decide-reason": ""},
        ),
    ),
    "keeper withdraws the officer's pre-trial return": (
        _disposal_setup,
        lambda s: (f"/api/v1/dispositions/{s['disposal']}/cancel", {"reason": "误报"}),
        lambda s: (
            f"/dispositions/{s['disposal']}",
            {"cancel-reason": "误报", "cancel-submit": "1"},
        ),
    ),
}


def _denials() -> list[tuple[str, str]]:
    return [(event.data["code"], event.data["path"]) for event in events("permission.denied")]


@pytest.mark.parametrize("name", list(CASES))
def test_a_refusal_is_recorded_the_same_through_the_api_and_the_page(
    name: str, app: Flask, client: FlaskClient, auth_headers
):
    setup, api_door, page_door = CASES[name]
    state = setup()

    before = len(_denials())
    path, body = api_door(state)
    response = client.post(path, json=body, headers=auth_headers("police_keeper"))
    assert response.status_code == 403, response.json
    api_code = response.json["code"]
    after_api = _denials()
    assert after_api[before:] == [(api_code, path.split("?")[0])]

    page = client_for(app, "police_keeper")
    path, data = page_door(state)
    form_page = data.pop("_page", None)
    response = post(page, path, data, form_page=form_page)
    assert response.status_code in (302, 403), response.get_data(as_text=True)[:500]
    assert _denials()[len(after_api) :] == [(api_code, path.split("?")[0])]
