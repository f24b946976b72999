"""The inbox's queues (services/inbox): each role finds what waits for it, read in one statement
for all the queues' totals and first rows."""

from __future__ import annotations

from custody.domain.enums import ItemCategory
from custody.extensions import db
from custody.services.inbox import inbox_queues, load_queues
from custody.services.items import label_codes

from ..factories import act, open_case, register, send_to_procuratorate, stored_items


def test_each_role_finds_its_queue(app):
    case = open_case()
    waiting = register(case, category=ItemCategory.GOODS)
    keeper = act("police_keeper")
    queues, _extras = load_queues(db.session, inbox_queues(keeper))
    assert waiting.id in [item.id for item in queues["awaiting"].rows]
    assert queues["awaiting"].total >= 1
    assert "approve_checkouts" not in queues
    assert "release" in queues

    stored_case, [item] = stored_items(1)
    transfer = send_to_procuratorate(stored_case, [item.id])
    prosecutor = act("prosecutor")
    queues, extras = load_queues(db.session, inbox_queues(prosecutor))
    assert [t.id for t in queues["incoming"].rows] == [transfer.id]
    assert extras[("incoming", transfer.id)] == (1, 1)  # pending lines, all lines
    assert load_queues(db.session, {}) == ({}, {})


def test_label_codes(app):
    _case, [item] = stored_items(1)
    assert label_codes(db.session, {item.id}) == {item.id: item.label_code}
    assert label_codes(db.session, set()) == {}
