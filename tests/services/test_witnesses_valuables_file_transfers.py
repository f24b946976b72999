"""At the service layer: the destruction witnesses the execute form
offers are exactly those the execution accepts; valuables without photo or value are listed for their
custodian and refused for transfer and disposal; a stage transfer of the file alone is noticed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from custody.domain.enums import DispositionKind, ItemCategory, TransferKind
from custody.domain.errors import Conflict, PermissionDenied
from custody.extensions import db
from custody.models.item import Item
from custody.models.user import User
from custody.services import dispositions, items, storage, transfers
from custody.services.corrections import decide_correction, propose_correction

from ..conftest import TEST_PASSWORD, get_user
from ..factories import (
    act,
    agency,
    close_case,
    location,
    open_case,
    photo,
    register,
    send_to_procuratorate,
    stored_items,
)

JUDGMENT = "(2026)沪0115刑初88号刑事判决书"


def _approved_destruction(item_ids: list[int]):
    disposition = dispositions.propose_disposition(
        db.session,
        act("police_officer"),
        item_ids=item_ids,
        kind=DispositionKind.DESTROY,
        legal_basis=JUDGMENT,
    )
    dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=True)
    db.session.commit()
    return disposition


def _accepted_as_witness(disposition_id: int, username: str) -> bool:
    try:
        dispositions.execute_disposition(
            db.session,
            act("police_keeper"),
            disposition_id,
            receipt_no="销毁记录-1",
            witness=username,
            witness_password=TEST_PASSWORD,
        )
    except Conflict:
        return False
    finally:
        db.session.rollback()
    return True


def test_eligible_witnesses_are_exactly_the_users_the_execution_accepts(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = _approved_destruction([item.id])
    retired = get_user("court_approver")
    retired.is_active = False  # a disabled account may not witness, and is not offered
    db.session.commit()

    offered = {
        u.username for u in dispositions.eligible_witnesses(db.session, act("police_keeper"), disposition.id)
    }
    assert "court_keeper" in offered
    assert "prosecutor" in offered
    # The chain of custody (registered, approved, stored, proposed) and the executing keeper are not.
    assert not offered & {"police_officer", "police_approver", "police_keeper", "court_approver"}
    assert "admin" not in offered  # a system administrator is never a witness
    for user in db.session.scalars(select(User).where(User.is_active)).all():
        assert _accepted_as_witness(disposition.id, user.username) == (user.username in offered), (
            user.username
        )


def test_only_the_executing_agency_may_list_witnesses(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = _approved_destruction([item.id])
    with pytest.raises(PermissionDenied):
        dispositions.eligible_witnesses(db.session, act("police_officer"), disposition.id)


def _ring(case, **kwargs):
    return register(
        case, name="钻石戒指", category=ItemCategory.VALUABLES, unit="枚", owner_name="受害人王某", **kwargs
    )


def _value(item: Item, fen: int = 2_500_000) -> None:
    correction = propose_correction(
        db.session,
        act("police_officer"),
        item_id=item.id,
        field="estimated_value_fen",
        new_value=fen,
        reason="补充估价",
    )
    decide_correction(db.session, act("police_approver"), correction.id, approve=True)
    db.session.commit()


def _store(item: Item) -> None:
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R2-S1-01").id)
    db.session.commit()


def test_a_valuable_without_photo_or_value_is_registered_but_not_transferred(app):
    """Outside a stage transfer: a stage transfer lists it, flagged (刑事诉讼法 245; test_not_stricter_than_law)."""
    case = open_case()
    ring = _ring(case)  # registration still succeeds: the photo is often uploaded right after
    assert items.missing_records(ring) == ("photo", "value")
    [storage_item] = stored_items(1, case=case)[1]
    _store(ring)
    # The file goes on alone; the items the police still hold follow it by an items-only transfer.
    transfers.decide_lines(
        db.session,
        act("prosecutor"),
        send_to_procuratorate(case, []).id,
        [],
        accept=True,
        case_no="浦检刑诉[2026]5号",
    )
    db.session.commit()

    def follow(ids):
        return transfers.propose_transfer(
            db.session,
            act("police_officer"),
            case_id=case.id,
            to_agency_id=agency("PDJC").id,
            kind=TransferKind.OTHER,
            item_ids=ids,
        )

    with pytest.raises(Conflict) as refused:
        follow([storage_item.id, ring.id])
    assert refused.value.code == "item.valuable_undocumented"
    assert refused.value.status == 409
    assert ring.label_code in str(refused.value)
    db.session.rollback()

    photo(ring)
    assert items.missing_records(db.session.get(Item, ring.id)) == ("value",)
    with pytest.raises(Conflict):
        follow([ring.id])
    db.session.rollback()
    _value(ring)
    assert items.missing_records(db.session.get(Item, ring.id)) == ()
    transfer = follow([storage_item.id, ring.id])
    db.session.commit()
    assert len(transfer.lines) == 2


def test_a_valuable_without_photo_or_value_cannot_be_proposed_for_disposal(app):
    case, [goods] = stored_items(1)
    ring = _ring(case, estimated_value_fen=2_500_000)
    _store(ring)
    close_case(case)
    with pytest.raises(Conflict) as refused:
        dispositions.propose_disposition(
            db.session,
            act("police_officer"),
            item_ids=[goods.id, ring.id],
            kind=DispositionKind.CONFISCATE,
            legal_basis=JUDGMENT,
        )
    assert refused.value.code == "item.valuable_undocumented"
    assert ring.label_code in str(refused.value)
    db.session.rollback()
    photo(ring)
    disposition = dispositions.propose_disposition(
        db.session,
        act("police_officer"),
        item_ids=[goods.id, ring.id],
        kind=DispositionKind.CONFISCATE,
        legal_basis=JUDGMENT,
    )
    assert len(disposition.lines) == 2


def test_the_inbox_query_lists_the_custodians_undocumented_valuables(app):
    case = open_case()
    bare = _ring(case)
    photographed = _ring(case)
    photo(photographed)
    valued = _ring(case, estimated_value_fen=100_000)
    complete = _ring(case, estimated_value_fen=100_000)
    photo(complete)
    goods = register(
        case, name="帆布包", category=ItemCategory.GOODS, unit="个"
    )  # not a valuable: no photo needed
    listed = set(db.session.scalars(items.undocumented_valuables_query(act("police_officer"))))
    assert {i.id for i in listed} == {bare.id, photographed.id, valued.id}
    # The SQL and the domain rule agree on every combination.
    for item in (bare, photographed, valued, complete, goods):
        item = db.session.get(Item, item.id)
        assert (item.id in {i.id for i in listed}) == bool(items.missing_records(item)), item.name
    # Other agencies' officers do not see them.
    assert list(db.session.scalars(items.undocumented_valuables_query(act("prosecutor")))) == []


def test_file_only_stage_transfer_while_holding_items_is_noticed(app):
    case, stored = stored_items(2)
    assert items.held_items_count(db.session, agency("PDGA").id, case.id) == 2
    file_only = send_to_procuratorate(case, [])
    assert transfers.file_only_warning_count(db.session, file_only) == 2
    transfers.recall_transfer(db.session, act("police_officer"), file_only.id)
    db.session.commit()
    assert transfers.file_only_warning_count(db.session, file_only) == 0  # recalled: nothing to say
    with_items = send_to_procuratorate(case, [stored[0].id])
    assert transfers.file_only_warning_count(db.session, with_items) == 0
