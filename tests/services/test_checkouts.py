"""调用/归还 at the service layer: every transition and refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from custody.domain import clock as app_clock
from custody.domain.enums import LocationState, TransferKind
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.domain.lifecycle import CheckoutStatus, Discrepancy, ExtensionStatus
from custody.extensions import db
from custody.models.item import Item
from custody.models.lifecycle import Checkout
from custody.services import checkouts, storage
from custody.services.items import ItemQuery, items_query
from custody.services.transfers import propose_transfer

from ..factories import act, agency, dual_role_user, location, register, send_to_procuratorate, stored_items
from ..helpers import events
from ..lifecycle_helpers import LAB, approved, released, request


def test_full_check_out_and_return(app):
    case, stored = stored_items(2)
    home = stored[0].storage_location_id
    checkout = released([i.id for i in stored])
    assert checkout.status is CheckoutStatus.RELEASED
    assert checkout.checkout_no.startswith("DY-PDGA-")
    assert all(db.session.get(Item, i.id).location_state is LocationState.CHECKED_OUT for i in stored)
    assert db.session.get(Item, stored[0].id).storage_location_id == home  # the shelf waits for it
    checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition="封存完好")
    db.session.commit()
    assert checkout.status is CheckoutStatus.RETURNED
    item = db.session.get(Item, stored[0].id)
    assert item.location_state is LocationState.IN_STORAGE
    assert item.storage_location_id == home
    assert item.condition == "封存完好"
    assert [e.action for e in events(item_id=item.id)][-4:] == [
        "checkout.request",
        "checkout.approve",
        "item.release",
        "item.return",
    ]
    release_event = events("item.release", item_id=item.id)[0]
    assert release_event.data["released_to"] == LAB.name == checkout.released_to


def test_request_refusals(app):
    case, [item] = stored_items(1)
    waiting = register(case, name="待入库")
    with pytest.raises(PermissionDenied):
        request([item.id], username="police_keeper")
    with pytest.raises(NotFound):
        request([item.id], username="prosecutor")
    with pytest.raises(Conflict) as not_stored:
        request([waiting.id])
    assert not_stored.value.code == "item.not_in_storage"
    with pytest.raises(InvalidInput) as past:
        request([item.id], hours=-1)
    assert "due_at" in past.value.fields
    with pytest.raises(InvalidInput):
        request([])
    released([item.id])
    with pytest.raises(Conflict) as twice:
        request([item.id])
    assert twice.value.code == "item.checked_out"


def test_nobody_approves_their_own_request(app):
    case, [item] = stored_items(1)
    dual_role_user()
    checkout = request([item.id], username="police_chief")
    with pytest.raises(PermissionDenied) as own:
        checkouts.decide_checkout(db.session, act("police_chief"), checkout.id, approve=True)
    assert own.value.code == "separation.requester_not_approver"
    with pytest.raises(PermissionDenied):
        checkouts.decide_checkout(db.session, act("police_officer"), checkout.id, approve=True)
    with pytest.raises(NotFound):
        checkouts.decide_checkout(db.session, act("court_approver"), checkout.id, approve=True)
    with pytest.raises(InvalidInput):
        checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=False)
    checkouts.decide_checkout(
        db.session, act("police_approver"), checkout.id, approve=False, reason="用途不明"
    )
    db.session.commit()
    assert checkout.status is CheckoutStatus.REJECTED
    with pytest.raises(Conflict):
        checkouts.release_checkout(db.session, act("police_keeper"), checkout.id)


def test_release_needs_approval_and_a_keeper(app):
    case, [item] = stored_items(1)
    checkout = request([item.id])
    with pytest.raises(Conflict) as unapproved:
        checkouts.release_checkout(db.session, act("police_keeper"), checkout.id)
    assert unapproved.value.code == "checkout.not_approved"
    checkouts.decide_checkout(db.session, act("police_approver"), checkout.id, approve=True)
    db.session.commit()
    for username in ("police_officer", "police_approver"):
        with pytest.raises(PermissionDenied):
            checkouts.release_checkout(db.session, act(username), checkout.id)


def test_return_checks_and_records_discrepancies(app):
    case, stored = stored_items(2)
    checkout = released([i.id for i in stored])
    with pytest.raises(PermissionDenied):
        checkouts.return_items(db.session, act("police_officer"), checkout.id, condition="完好")
    with pytest.raises(InvalidInput):
        checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition=" ")
    with pytest.raises(InvalidInput) as no_note:
        checkouts.return_items(
            db.session,
            act("police_keeper"),
            checkout.id,
            condition="屏幕碎裂",
            discrepancy=Discrepancy.DAMAGE,
        )
    assert "discrepancy_note" in no_note.value.fields
    checkouts.return_items(
        db.session,
        act("police_keeper"),
        checkout.id,
        item_ids=[stored[0].id],
        condition="屏幕碎裂",
        discrepancy=Discrepancy.DAMAGE,
        discrepancy_note="鉴定中跌落",
    )
    db.session.commit()
    assert checkout.status is CheckoutStatus.RELEASED  # one item still out
    [line] = [line for line in checkout.lines if line.item_id == stored[0].id]
    assert line.discrepancy is Discrepancy.DAMAGE
    assert line.discrepancy_note == "鉴定中跌落"
    assert events("item.return", item_id=stored[0].id)[0].data["discrepancy"] == "damage"
    with pytest.raises(InvalidInput):
        checkouts.return_items(
            db.session, act("police_keeper"), checkout.id, item_ids=[stored[0].id], condition="x"
        )
    checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition="完好")
    db.session.commit()
    assert checkout.status is CheckoutStatus.RETURNED


def test_overdue_is_visible_and_extensions_need_approval(app):
    case, [item] = stored_items(1)
    checkout = released([item.id])
    db.session.execute(
        update(Checkout).where(Checkout.id == checkout.id).values(due_at=app_clock.now() - timedelta(hours=1))
    )
    db.session.commit()
    officer = act("police_officer")
    assert [i.id for i in db.session.scalars(items_query(officer, ItemQuery(overdue=True)))] == [item.id]
    assert [c.id for c in db.session.scalars(checkouts.checkouts_query(officer, overdue=True))] == [
        checkout.id
    ]

    with pytest.raises(InvalidInput):
        checkouts.request_extension(
            db.session, officer, checkout.id, due_at=app_clock.now() + timedelta(days=2), reason=" "
        )
    checkouts.request_extension(
        db.session, officer, checkout.id, due_at=app_clock.now() + timedelta(days=2), reason="鉴定需延长两天"
    )
    db.session.commit()
    with pytest.raises(Conflict):
        checkouts.request_extension(
            db.session, officer, checkout.id, due_at=app_clock.now() + timedelta(days=3), reason="x"
        )
    db.session.rollback()
    checkouts.decide_extension(db.session, act("police_approver"), checkout.id, approve=True)
    db.session.commit()
    db.session.refresh(checkout)
    assert checkout.due_at > app_clock.now() + timedelta(days=1)
    assert checkout.extensions[0].status is ExtensionStatus.APPROVED
    assert not list(db.session.scalars(items_query(officer, ItemQuery(overdue=True))))
    with pytest.raises(Conflict):
        checkouts.decide_extension(db.session, act("police_approver"), checkout.id, approve=True)
    with pytest.raises(InvalidInput):  # an extension moves the due time later, never earlier
        checkouts.request_extension(
            db.session, officer, checkout.id, due_at=app_clock.now() + timedelta(hours=1), reason="x"
        )


def test_a_checked_out_item_cannot_be_transferred_or_stored(app):
    """Outside a stage transfer (which lists it, flagged: test_not_stricter_than_law)."""
    case, [item] = stored_items(1)
    released([item.id])
    file_ahead(case)
    with pytest.raises(Conflict):
        propose_transfer(
            db.session,
            act("police_officer"),
            case_id=case.id,
            to_agency_id=agency("PDJC").id,
            kind=TransferKind.OTHER,
            item_ids=[item.id],
        )
    db.session.rollback()
    with pytest.raises(Conflict):
        storage.move(db.session, act("police_keeper"), item.id, location_id=location("R1-B-02").id)


def test_cancel_before_release(app):
    case, [item] = stored_items(1)
    checkout = approved([item.id])
    checkouts.cancel_checkout(db.session, act("police_officer"), checkout.id, reason="不再需要")
    db.session.commit()
    assert checkout.status is CheckoutStatus.CANCELLED
    again = request([item.id])  # the item is free again
    assert again.status is CheckoutStatus.REQUESTED


# -- custody and open check-outs -------------------------------------------------------------------


def file_ahead(case):
    """The case file goes on to the procuratorate alone; the police keep their items (and check-outs)."""
    from custody.models.case import Case
    from custody.services.transfers import decide_lines

    if db.session.get(Case, case.id).handling_agency_id == agency("PDJC").id:
        return
    file_only = send_to_procuratorate(case, [])
    decide_lines(db.session, act("prosecutor"), file_only.id, [], accept=True, case_no=f"浦检-{case.id}")
    db.session.commit()


def propose(case, item_ids):
    """An items-only ("other") transfer after the file went ahead: a stage transfer lists items out on
    check-out, flagged (刑事诉讼法 245)."""
    file_ahead(case)
    return propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.OTHER,
        item_ids=item_ids,
    )


@pytest.mark.parametrize("stage", ["requested", "approved"])
def test_an_item_on_an_open_check_out_cannot_be_transferred(app, stage):
    case, stored = stored_items(2)
    checkout = request([stored[0].id]) if stage == "requested" else approved([stored[0].id])
    with pytest.raises(Conflict) as open_checkout:
        propose(case, [stored[1].id, stored[0].id])
    assert open_checkout.value.code == "item.checkout_open"
    assert open_checkout.value.params == {"label": stored[0].label_code, "no": checkout.checkout_no}
    db.session.rollback()
    checkouts.cancel_checkout(db.session, act("police_officer"), checkout.id, reason="改为移送")
    db.session.commit()
    assert propose(case, [stored[1].id, stored[0].id]).status.value == "pending"


def test_a_returned_item_of_a_partly_returned_check_out_can_be_transferred(app):
    case, stored = stored_items(2)
    checkout = released([i.id for i in stored])
    checkouts.return_items(
        db.session, act("police_keeper"), checkout.id, item_ids=[stored[0].id], condition="完好"
    )
    db.session.commit()
    with pytest.raises(Conflict) as still_out:
        propose(case, [stored[1].id])
    assert still_out.value.code == "item.checked_out"
    db.session.rollback()
    assert propose(case, [stored[0].id]).lines[0].item_id == stored[0].id


def move_custody_behind_the_checkouts_back(item_ids, to_code="PDJC"):
    """What an older version allowed: the item transferred while a check-out of it was open."""
    from custody.services.visibility import add_participant

    to = agency(to_code).id
    db.session.execute(update(Item).where(Item.id.in_(item_ids)).values(custodian_agency_id=to))
    add_participant(db.session, db.session.get(Item, item_ids[0]).case_id, to)
    db.session.commit()
    db.session.expire_all()


@pytest.mark.live_rows_diverge(reason="moves custody behind the check-outs' back with a direct update")
def test_a_check_out_goes_no_further_once_custody_moved(app):
    case, stored = stored_items(3)
    requested, ready, out = request([stored[0].id]), approved([stored[1].id]), released([stored[2].id])
    checkouts.request_extension(
        db.session,
        act("police_officer"),
        out.id,
        due_at=app_clock.now() + timedelta(days=5),
        reason="鉴定需延长",
    )
    db.session.commit()
    move_custody_behind_the_checkouts_back([i.id for i in stored])

    def refused(call):
        with pytest.raises(Conflict) as error:
            call()
        db.session.rollback()
        return error.value.code

    # The procuratorate now holds the items: the police's requests and approvals no longer count.
    assert (
        refused(
            lambda: checkouts.decide_checkout(
                db.session, act("prosecutor_approver"), requested.id, approve=True
            )
        )
        == "checkout.custody_moved"
    )
    assert (
        refused(lambda: checkouts.release_checkout(db.session, act("procuratorate_keeper"), ready.id))
        == "checkout.custody_moved"
    )
    # The return is a physical fact: the keeper of whoever holds the item now takes it back.
    checkouts.return_items(db.session, act("procuratorate_keeper"), out.id, condition="完好")
    db.session.commit()
    assert (
        refused(
            lambda: checkouts.decide_extension(db.session, act("prosecutor_approver"), out.id, approve=True)
        )
        == "checkout.custody_moved"
    )
    assert (
        refused(
            lambda: checkouts.request_extension(
                db.session,
                act("prosecutor"),
                ready.id,
                due_at=app_clock.now() + timedelta(days=9),
                reason="x",
            )
        )
        == "checkout.custody_moved"
    )
    assert db.session.get(Item, stored[1].id).location_state is LocationState.IN_STORAGE
    # The new custodian can still withdraw a stale request and make its own.
    checkouts.cancel_checkout(db.session, act("prosecutor"), ready.id, reason="保管单位已变更")
    db.session.commit()
    again = request([stored[1].id], username="prosecutor")
    assert again.custodian_agency_id == agency("PDJC").id


# -- extensions end with the check-out ---------------------------------------------------------------


def test_returning_everything_closes_a_pending_extension(app):
    case, [item] = stored_items(1)
    checkout = released([item.id])
    checkouts.request_extension(
        db.session,
        act("police_officer"),
        checkout.id,
        due_at=app_clock.now() + timedelta(days=5),
        reason="鉴定需延长",
    )
    db.session.commit()
    due = checkout.due_at
    checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition="完好")
    db.session.commit()
    [extension] = checkout.extensions
    assert extension.status is ExtensionStatus.REJECTED
    assert extension.decided_by_id is None
    assert extension.decision_reason
    assert extension.decided_at is not None
    with pytest.raises(Conflict) as late:
        checkouts.decide_extension(db.session, act("police_approver"), checkout.id, approve=True)
    assert late.value.code in ("checkout.closed", "checkout.no_extension")
    db.session.rollback()
    db.session.refresh(checkout)
    assert checkout.due_at == due
    [auto] = events("checkout.extension_reject", item_id=item.id)
    assert auto.actor_user_id is None
    assert auto.reason == extension.decision_reason
    assert auto.data["automatic"] is True


def test_cancelling_closes_a_pending_extension(app):
    case, [item] = stored_items(1)
    checkout = approved([item.id])
    checkouts.request_extension(
        db.session,
        act("police_officer"),
        checkout.id,
        due_at=app_clock.now() + timedelta(days=5),
        reason="鉴定排期推迟",
    )
    db.session.commit()
    checkouts.cancel_checkout(db.session, act("police_officer"), checkout.id, reason="不再需要")
    db.session.commit()
    assert [e.status for e in checkout.extensions] == [ExtensionStatus.REJECTED]
    assert [e.action for e in events(item_id=item.id)][-2:] == [
        "checkout.cancel",
        "checkout.extension_reject",
    ]


def test_an_extension_is_decided_only_while_the_check_out_runs(app):
    """Even a request left pending by an older version is not approved after the return."""
    from custody.models.lifecycle import CheckoutExtension

    case, [item] = stored_items(1)
    checkout = released([item.id])
    checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition="完好")
    db.session.commit()
    checkout.extensions.append(
        CheckoutExtension(
            previous_due_at=checkout.due_at,
            requested_due_at=app_clock.now() + timedelta(days=9),
            reason="旧数据",
            status=ExtensionStatus.REQUESTED,
            requested_by_id=act("police_officer").user_id,
        )
    )
    db.session.commit()
    with pytest.raises(Conflict) as over:
        checkouts.decide_extension(db.session, act("police_approver"), checkout.id, approve=True)
    assert over.value.code == "checkout.closed"


def test_release_only_to_the_registered_person(app):
    """ "只能交付给登记的领用人": the name given at release must be the counterparty's registered name."""
    case, [item] = stored_items(1)
    checkout = approved([item.id])
    for wrong in ("张三", "鉴定人 钱工", "上海市公安局物证鉴定中心（钱工）"):
        with pytest.raises(InvalidInput) as refused:
            checkouts.release_checkout(db.session, act("police_keeper"), checkout.id, released_to=wrong)
        assert refused.value.status == 422
        assert "released_to" in refused.value.fields
        assert refused.value.params["name"] == LAB.name
        db.session.rollback()
    assert db.session.get(Item, item.id).location_state is LocationState.IN_STORAGE
    assert events("item.release", item_id=item.id) == []
    checkouts.release_checkout(db.session, act("police_keeper"), checkout.id, released_to="   ")  # none given
    db.session.commit()
    assert checkout.status is CheckoutStatus.RELEASED
    assert checkout.released_to == LAB.name
    assert events("item.release", item_id=item.id)[0].data["released_to"] == LAB.name


@pytest.mark.parametrize("ending", ["returned", "cancelled"])
def test_a_check_out_that_is_over_says_so(app, ending):
    """Not "not released yet": a returned or cancelled check-out is over."""
    case, [item] = stored_items(1)
    if ending == "returned":
        checkout = released([item.id])
        checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition="完好")
    else:
        checkout = approved([item.id])
        checkouts.cancel_checkout(db.session, act("police_officer"), checkout.id, reason="不再需要")
    db.session.commit()
    attempts = [
        lambda: checkouts.return_items(db.session, act("police_keeper"), checkout.id, condition="完好"),
        lambda: checkouts.request_extension(
            db.session,
            act("police_officer"),
            checkout.id,
            due_at=app_clock.now() + timedelta(days=9),
            reason="再鉴定",
        ),
        lambda: checkouts.release_checkout(db.session, act("police_keeper"), checkout.id),
        lambda: checkouts.cancel_checkout(db.session, act("police_officer"), checkout.id),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as over:
            attempt()
        assert over.value.code == "checkout.closed"
        assert over.value.message == "The check-out is over."
        db.session.rollback()


def test_each_holder_takes_back_their_own_when_custody_split_while_the_items_were_out(app):
    """A stage transfer partly accepted while two items were out for appraisal: each holder's keeper
    takes back its own item, and neither is blocked by the other's (found reviewing issue 16)."""
    from custody.services import transfers

    case, (kept, moved) = stored_items(2)
    checkout = released([kept.id, moved.id])
    transfer = send_to_procuratorate(case, [kept.id, moved.id])
    transfers.sign_for(
        db.session,
        act("prosecutor"),
        transfer.id,
        accepted=[moved.id],
        rejected={kept.id: "与照片不符"},
        case_no="浦检刑诉〔2026〕1号",
    )
    db.session.commit()
    police, procuratorate = act("police_keeper"), act("procuratorate_keeper")
    assert checkouts.returnable_item_ids(police, checkout) == [kept.id]
    assert checkouts.returnable_item_ids(procuratorate, checkout) == [moved.id]
    assert "return" in checkouts.checkout_actions(police, checkout)
    assert "return" in checkouts.checkout_actions(procuratorate, checkout)

    with pytest.raises(PermissionDenied):
        checkouts.return_items(db.session, police, checkout.id, condition="完好", item_ids=[moved.id])
    db.session.rollback()
    checkouts.return_items(db.session, police, checkout.id, condition="完好", item_ids=[kept.id])
    db.session.commit()
    checkouts.return_items(db.session, procuratorate, checkout.id, condition="完好", item_ids=[moved.id])
    db.session.commit()
    assert db.session.get(Checkout, checkout.id).status is CheckoutStatus.RETURNED
    assert db.session.get(Item, kept.id).location_state is LocationState.IN_STORAGE
    assert db.session.get(Item, moved.id).location_state is LocationState.IN_STORAGE
