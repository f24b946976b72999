"""Migration 0006 gives every item already registered its own random personal-data salt."""

from __future__ import annotations

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from custody.extensions import db
from custody.models.item import Item

from ..factories import open_case, register, stored_items


@pytest.mark.live_rows_diverge(reason="rebuilds a database as it was before migration 0006")
def test_upgrading_salts_every_existing_item_on_a_database_in_use(app):
    case, stored = stored_items(2)  # items with check-ins, labels and events referring to them
    register(case, owner_name="张三", owner_contact="13856781234")
    db.session.commit()
    db.session.remove()
    downgrade(revision="0005")  # as before the fix: no salt column at all
    upgrade()
    db.session.remove()
    salts = db.session.scalars(select(Item.personal_data_salt)).all()
    assert len(salts) == 3
    assert len(set(salts)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", salt) for salt in salts)
    assert (
        register(open_case("另案"), owner_name="李四").personal_data_salt not in salts
    )  # and new items their own
