"""Confirm each item in hand on the release, return and execution pages (issue 18): one card per item,
ticked by scanning its label or by hand; the page refuses the step while an item is not ticked, and
执行处置 asks for confirmation."""

from __future__ import annotations

from custody.domain.enums import DispositionKind, DispositionStatus, LocationState
from custody.extensions import db
from custody.models.item import Item

from ..factories import act, close_case, stored_items
from ..helpers import fresh
from .builders import JUDGMENT, approved_disposition, released_checkout, requested_checkout
from .ui import client_for, get, submit, text_of


def test_the_release_page_lists_each_item_as_a_card_to_confirm(app):
    from custody.services import checkouts

    _, items = stored_items(2)
    checkout = requested_checkout([item.id for item in items])
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    db.session.commit()
    url = f"/checkouts/{checkout.id}"
    keeper = client_for(app, "police_keeper")
    page = get(keeper, url)
    assert "data-confirm-items" in page
    assert "data-scan-target" in page
    assert "js/pages.js" in page
    for item in items:
        assert f'data-code="{item.label_code}"' in page
        assert f'name="release-confirmed_item_ids" value="{item.id}"' in page
    response = submit(keeper, url, "release", released_to="钱工", confirmed_item_ids=[items[0].id])
    page = text_of(response)
    assert response.status_code == 422
    assert "请逐项核对" in page
    assert f'value="{items[0].id}" checked' in page  # what was ticked stays ticked
    fresh()
    assert db.session.get(Item, items[1].id).location_state is LocationState.IN_STORAGE


def test_the_return_page_confirms_the_items_taken_back(app):
    _, items = stored_items(2)
    checkout = released_checkout([item.id for item in items])
    url = f"/checkouts/{checkout.id}"
    keeper = client_for(app, "police_keeper")
    page = get(keeper, url)
    assert 'name="return-confirmed_item_ids"' in page
    refused = submit(keeper, url, "return", condition="完好", discrepancy="", item_ids=[items[0].id])
    assert refused.status_code == 422
    assert "请逐项核对" in text_of(refused)
    done = submit(
        keeper,
        url,
        "return",
        condition="完好",
        discrepancy="",
        item_ids=[items[0].id],
        confirmed_item_ids=[item.id for item in items],  # the page lists every item still out
    )
    assert done.status_code == 302
    fresh()
    assert db.session.get(Item, items[0].id).location_state is LocationState.IN_STORAGE
    assert db.session.get(Item, items[1].id).location_state is LocationState.CHECKED_OUT


def test_executing_a_disposal_asks_for_confirmation_and_each_item_in_hand(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], DispositionKind.CONFISCATE, legal_basis=JUDGMENT)
    url = f"/dispositions/{disposition.id}"
    keeper = client_for(app, "police_keeper")
    page = get(keeper, url)
    assert "data-confirm-submit=" in page
    assert "执行后不可撤销" in page
    assert f'name="execute-confirmed_item_ids" value="{item.id}"' in page
    refused = submit(keeper, url, "execute", receipt_no="国库回执 7")
    assert refused.status_code == 422
    assert "请逐项核对" in text_of(refused)
    assert 'value="国库回执 7"' in text_of(refused)
    fresh()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.APPROVED
    assert (
        submit(keeper, url, "execute", receipt_no="国库回执 7", confirmed_item_ids=[item.id]).status_code
        == 302
    )
    fresh()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.EXECUTED


def test_only_the_keeper_sees_the_cards_and_a_forged_post_is_refused(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], DispositionKind.CONFISCATE, legal_basis=JUDGMENT)
    url = f"/dispositions/{disposition.id}"
    officer = client_for(app, "police_officer")
    assert "data-confirm-items" not in get(officer, url)
    forged = submit(officer, url, "execute", receipt_no="R-1", confirmed_item_ids=[item.id])
    assert forged.status_code == 403
