"""An item's history read through the service (the timeline page describes it): its events in the
order of its hash chain, and the latest custody events of all items."""

from __future__ import annotations

from custody.extensions import db
from custody.services import item_events, storage

from ..factories import act, location, stored_items


def test_an_items_history_follows_its_chain_and_the_latest_events_come_first(app):
    _, [first, second] = stored_items(2)
    storage.move(db.session, act("police_keeper"), first.id, location_id=location("R1-A-03").id)
    db.session.commit()
    history = item_events.item_history(db.session, first.id)
    assert [e.action for e in history] == ["item.register", "item.check_in", "item.move"]
    assert [e.item_seq for e in history] == sorted(e.item_seq for e in history)
    assert all(e.prev_hash == before.hash for before, e in zip(history, history[1:], strict=False))
    recent = item_events.recent_custody_events(db.session, limit=2)
    assert [(e.item_id, e.action) for e in recent] == [(first.id, "item.move"), (second.id, "item.check_in")]
