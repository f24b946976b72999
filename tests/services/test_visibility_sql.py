"""The item visibility filter's SQL (issue 15): on PostgreSQL each half of the OR is an index
condition (``= ANY(ARRAY(subquery))``), elsewhere ``IN (subquery)``; the same rows either way (the
visibility tests run on both engines)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from custody.extensions import db
from custody.models.item import Item
from custody.services.visibility import item_filter

from ..factories import act, stored_items


def _sql(stmt, dialect) -> str:
    return " ".join(str(stmt.compile(dialect=dialect)).split())


def test_item_filter_is_an_indexable_or_on_postgresql_and_in_subqueries_elsewhere(app):
    stmt = select(Item.id).where(item_filter(act("prosecutor")))
    assert _sql(stmt, postgresql.dialect()).count("= ANY (array((SELECT") == 2
    assert " IN (SELECT" not in _sql(stmt, postgresql.dialect())
    assert _sql(stmt, sqlite.dialect()).count(" IN (SELECT") == 2
    assert "= 1" not in _sql(stmt, sqlite.dialect())  # a comparison, not ``(… IN …) = 1``


def test_the_filter_names_the_item_table_for_a_statement_that_selects_nothing_else(app):
    from sqlalchemy import func

    stmt = select(func.count()).where(item_filter(act("prosecutor")))
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        assert " FROM item WHERE " in _sql(stmt, dialect)


def test_sqlite_reads_the_visible_items_through_indexes(app):
    """The plan ORs an index lookup per half (MULTI-INDEX OR), not a scan of every item."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    stmt = select(Item.id).where(item_filter(act("prosecutor")))
    compiled = stmt.compile(db.engine)
    plan = db.session.connection().exec_driver_sql(
        f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params[name] for name in compiled.positiontup)
    )
    details = " | ".join(row[-1] for row in plan)
    assert "MULTI-INDEX OR" in details, details


def test_the_cached_statement_takes_each_actors_agency(app):
    """One statement shape, cached once: each actor's own agency is bound, not the first one's."""
    case, items = stored_items(2)
    ids = {item.id for item in items}
    police = set(db.session.scalars(select(Item.id).where(item_filter(act("police_officer")))))
    court = set(db.session.scalars(select(Item.id).where(item_filter(act("judge")))))
    assert ids <= police
    assert not ids & court
