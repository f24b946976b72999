"""SQLite's plans for what grows with a city (issue 15): the alert sources read an agency's few rows,
not its thousands of items; a list of the newest items in one state walks an index in id order.

SQLite plans without statistics of skew: it entered the unrelated-property and public-notice joins
through the agency's items, and found the items awaiting check-in among all of the agency's items.
These tests read SQLite's plan on the app's own schema (``Base.metadata``, with its indexes): the
plans do not depend on rows, so an empty database shows them.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine
from sqlalchemy.dialects import postgresql

from custody.counting import page_statement
from custody.orm import Base
from custody.services.alerts import _sources


@pytest.fixture(scope="module")
def sqlite_schema():
    import custody.models  # noqa: F401  (every table on Base.metadata)

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _plan(engine, stmt) -> str:
    compiled = stmt.compile(engine, compile_kwargs={"render_postcompile": True})
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params[name] for name in compiled.positiontup)
        )
        return " | ".join(row[-1] for row in rows)


@pytest.mark.parametrize("source", ["unrelated", "notices"])
def test_sqlite_enters_through_the_findings_and_notice_lines_not_the_agencys_items(sqlite_schema, source):
    plan = _plan(sqlite_schema, _sources(7, date(2026, 1, 1))[source])
    assert "SEARCH item USING INTEGER PRIMARY KEY" in plan, plan
    assert "ix_item_custodian_agency_id" not in plan, plan
    assert "SCAN item" not in plan, plan


def test_sqlite_finds_the_items_awaiting_check_in_by_state_and_agency(sqlite_schema):
    plan = _plan(sqlite_schema, _sources(7, date(2026, 1, 1))["awaiting"])
    assert (
        "ix_item_location_state_custodian_agency_id (location_state=? AND custodian_agency_id=?)" in plan
    ), plan


def test_postgresql_gets_the_plain_columns():
    sources = _sources(7, date(2026, 1, 1))
    for name in ("unrelated", "notices"):
        sql = str(sources[name].compile(dialect=postgresql.dialect()))
        assert "+item" not in sql, sql
        assert "item.custodian_agency_id = " in sql, sql


def test_sqlite_lists_the_newest_items_in_a_state_in_index_order_without_sorting_them(sqlite_schema):
    """The filtered list of 50 stops at its 50th visible match: it reads (location_state) in id order,
    not every matching item of the city sorted (49 ms at 200k items)."""
    from custody.domain.actor import Actor
    from custody.domain.enums import AgencyKind, ItemCategory, ItemStatus, Role
    from custody.services.items import ItemQuery, items_query

    officer = Actor(1, "x", "X", 7, "PDGA", "浦东公安分局", AgencyKind.POLICE, frozenset({Role.OFFICER}))
    query = ItemQuery(status=ItemStatus.IN_STORAGE, category=ItemCategory.GOODS, custodian="police")
    plan = _plan(sqlite_schema, page_statement(items_query(officer, query), limit=50, offset=0))
    assert "SEARCH item USING INDEX ix_item_location_state (location_state=?)" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan.split("LIST SUBQUERY")[1], plan  # the page's keys
    assert plan.startswith("SEARCH item USING INDEX ix_item_location_state (location_state=? AND rowid=?)"), (
        plan
    )


def test_postgresql_pages_keys_first_then_loads_the_rows_by_key():
    from custody.domain.actor import Actor
    from custody.domain.enums import AgencyKind, Role
    from custody.services.items import ItemQuery, items_query

    officer = Actor(1, "x", "X", 7, "PDGA", "浦东公安分局", AgencyKind.POLICE, frozenset({Role.OFFICER}))
    sql = " ".join(
        str(
            page_statement(items_query(officer, ItemQuery()), limit=50, offset=100).compile(
                dialect=postgresql.dialect()
            )
        ).split()
    )
    assert "item.id = ANY (array((SELECT item.id FROM item WHERE" in sql, sql
    assert sql.count("LIMIT") == 1, sql
    assert "ORDER BY item.id DESC, item.id DESC LIMIT" in sql, sql
