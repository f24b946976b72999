"""Release, return and disposal execution confirm each physical item in hand (issue 18): when the
caller sends the confirmed items (the pages always do), every item of the step must be among them."""

from __future__ import annotations

import pytest

from custody.domain.enums import DispositionKind, DispositionStatus, LocationState
from custody.domain.errors import InvalidInput
from custody.domain.items import check_items_confirmed
from custody.domain.lifecycle import CheckoutStatus
from custody.extensions import db
from custody.models.item import Item
from custody.services import checkouts, dispositions

from ..factories import act, judge_case, stored_items
from ..helpers import events
from ..lifecycle_helpers import approve, approved, propose


def test_the_rule_names_each_unconfirmed_item_and_ignores_extras():
    check_items_confirmed([1, 2], None)  # not confirmed item by item: no check
    check_items_confirmed([1, 2], [2, 1, 7])
    with pytest.raises(InvalidInput) as refused:
        check_items_confirmed([3, 1, 2], [2])
    assert refused.value.code == "items.unconfirmed"
    assert refused.value.extra["unconfirmed_item_ids"] == [1, 3]
    assert refused.value.params["count"] == 2
    assert "confirmed_item_ids" in refused.value.fields


def test_a_release_with_an_item_not_confirmed_releases_nothing(app):
    _, items = stored_items(2)
    checkout = approved([item.id for item in items])
    before = len(events())
    with pytest.raises(InvalidInput) as refused:
        checkouts.release_checkout(
            db.session, act("police_keeper"), checkout.id, confirmed_item_ids=[items[0].id]
        )
    db.session.rollback()
    assert refused.value.extra["unconfirmed_item_ids"] == [items[1].id]
    assert len(events()) == before
    assert checkout.status is CheckoutStatus.APPROVED
    checkouts.release_checkout(
        db.session, act("police_keeper"), checkout.id, confirmed_item_ids=[item.id for item in items]
    )
    db.session.commit()
    assert checkout.status is CheckoutStatus.RELEASED
    assert all(event.data["items_confirmed"] for event in events("item.release"))


def test_a_return_confirms_the_items_taken_back(app):
    _, [first, second] = stored_items(2)
    checkout = approved([first.id, second.id])
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id)  # the API without the list
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        checkouts.return_items(
            db.session, act("police_keeper"), checkout.id, condition="完好", confirmed_item_ids=[]
        )
    db.session.rollback()
    assert refused.value.extra["unconfirmed_item_ids"] == [first.id, second.id]
    # one item back now: only it needs confirming (the page's list of every item still out is fine)
    checkouts.return_items(
        db.session,
        act("police_keeper"),
        checkout.id,
        condition="完好",
        item_ids=[first.id],
        confirmed_item_ids=[first.id],
    )
    db.session.commit()
    assert db.session.get(Item, first.id).location_state is LocationState.IN_STORAGE
    assert db.session.get(Item, second.id).location_state is LocationState.CHECKED_OUT
    [back] = events("item.return")
    assert back.data["items_confirmed"] is True


def test_an_execution_with_an_item_not_confirmed_disposes_of_nothing(app):
    case, items = stored_items(2)
    judge_case(case)
    disposition = approve(propose([item.id for item in items], DispositionKind.CONFISCATE))
    with pytest.raises(InvalidInput) as refused:
        dispositions.execute_disposition(
            db.session,
            act("police_keeper"),
            disposition.id,
            receipt_no="国库回执 2026-009",
            confirmed_item_ids=[items[1].id],
        )
    db.session.rollback()
    assert refused.value.code == "items.unconfirmed"
    assert refused.value.extra["unconfirmed_item_ids"] == [items[0].id]
    assert db.session.get(Item, items[0].id).disposition_status is DispositionStatus.APPROVED
    dispositions.execute_disposition(
        db.session,
        act("police_keeper"),
        disposition.id,
        receipt_no="国库回执 2026-009",
        confirmed_item_ids=[item.id for item in items],
    )
    db.session.commit()
    assert all(db.session.get(Item, i.id).disposition_status is DispositionStatus.EXECUTED for i in items)
    assert all(event.data["items_confirmed"] for event in events("disposition.execute"))
