"""The page reads moved into services (issue 16): what the item and case pages show, the transfer
list's line counts, the builder's held items, merge targets and one seizure list with its items."""

from __future__ import annotations

import pytest

from custody.domain import clock as app_clock
from custody.domain.errors import NotFound
from custody.extensions import db
from custody.services import cases, transfers
from custody.services.overviews import case_overview, item_overview

from ..factories import act, open_case, send_to_procuratorate, stored_items


def test_item_overview_shows_the_transfer_line_to_those_who_see_the_transfer(app):
    case, [item] = stored_items(1)
    transfer = send_to_procuratorate(case, [item.id])
    db.session.refresh(item)
    seen = item_overview(db.session, act("police_officer"), item, app_clock.now())
    assert [line.transfer_id for line in seen.transfer_lines] == [transfer.id]
    assert seen.pending_line is not None
    assert seen.pending_line.transfer_id == transfer.id
    assert seen.checkout_now is None
    assert not item.overdue
    assert seen.freezes == []
    assert seen.proceeds is None
    assert item_overview(db.session, act("auditor"), item, app_clock.now()).transfer_lines  # auditors see all


def test_case_overview_lists_the_cases_records(app):
    case, stored = stored_items(2)
    transfer = send_to_procuratorate(case, [stored[0].id])
    seen = case_overview(db.session, act("police_officer"), case, items_shown=1)
    assert sum(count for _list, count in seen.lists) == 2  # each registration here drew up its own list
    assert len(seen.items) == 1  # no more than asked for
    assert [t.id for t in seen.transfers] == [transfer.id]
    assert seen.judgment is None
    assert seen.judgment_court is None
    assert seen.orders == []


def test_line_counts_and_held_items(app):
    case, stored = stored_items(2)
    transfer = send_to_procuratorate(case, [i.id for i in stored])
    assert transfers.line_counts(db.session, [transfer.id]) == {transfer.id: (2, 0)}
    assert transfers.line_counts(db.session, []) == {}
    assert [i.id for i in transfers.held_items_of_case(db.session, act("police_officer"), case)] == [
        i.id for i in stored
    ]
    assert transfers.held_items_of_case(db.session, act("prosecutor"), case) == []


def test_merge_targets_and_one_seizure_list(app):
    case, stored = stored_items(1)
    other = open_case("李某某盗窃案")
    assert [c.id for c in cases.merge_targets(db.session, act("police_officer"), case)][:1] == [other.id]
    assert cases.merge_targets(db.session, act("prosecutor"), case) == []
    seizure_list, rows = cases.seizure_list_with_items(db.session, case, stored[0].seizure_list_id)
    assert seizure_list.case_id == case.id
    assert [i.id for i in rows] == [stored[0].id]
    with pytest.raises(NotFound):
        cases.seizure_list_with_items(db.session, other, stored[0].seizure_list_id)


def test_a_ledger_is_read_with_its_case_by_those_who_see_the_case(app):
    from custody.services import money

    from ..money_helpers import cash, deposit

    case = open_case()
    movement = deposit(cash(case))
    ledger, found = money.get_ledger(db.session, act("police_officer"), movement.ledger_id)
    assert ledger.id == movement.ledger_id
    assert found.id == case.id
    with pytest.raises(NotFound):
        money.get_ledger(db.session, act("judge"), movement.ledger_id)  # the court does not see the case
    with pytest.raises(NotFound):
        money.get_ledger(db.session, act("police_officer"), 999_999)


def test_locations_as_the_pages_list_them(app):
    from custody.services import storage

    from ..factories import location

    rows = storage.active_locations(db.session)
    assert rows
    assert all(loc.is_active for loc in rows)
    bin_ = location("R1-A-01")
    assert storage.location_by_id(db.session, bin_.id) is bin_
    assert storage.location_by_id(db.session, None) is None
    assert storage.active_location(db.session, bin_.id) is bin_
    with pytest.raises(NotFound):
        storage.active_location(db.session, 999_999)
    room = bin_.ancestry[0]
    tree = storage.location_tree(db.session, room)
    assert tree[0] is room
    assert bin_ in tree


def test_first_numbers_name_each_case(app):
    case = open_case()
    assert cases.first_numbers(db.session, {case.id}) == {case.id: case.first_number}
    assert cases.first_numbers(db.session, set()) == {}


def test_where_a_transfer_may_go(app):
    from custody.domain.enums import AgencyKind, TransferKind

    from ..factories import agency

    police = act("police_officer")
    found = transfers.destinations(db.session, police)
    assert agency("PDJC") in found
    assert agency("PDGA") not in found
    assert all(a.kind is not AgencyKind.CENTRE_OPERATOR for a in found)
    assert transfers.usual_destination(db.session, TransferKind.PROSECUTION) == agency("PDJC").id
