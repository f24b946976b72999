"""A page of the item list found through each visibility source (issue 15): on PostgreSQL the page's
keys are the union of one query per source (the cases the agency takes part in, the items offered
to it), each a semi-join the planner can estimate. The pages must be exactly the pages of the whole
list, whatever the sort, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql

from custody.counting import page_rows
from custody.extensions import db
from custody.services.items import SORTS, ItemQuery, items_page_keys, items_query

from ..factories import act, handed_to_procuratorate, register, send_to_procuratorate, stored_items


@pytest.fixture
def prosecutors_view(app):
    """The procuratorate takes part in one case (signed for part of it) and is offered items of
    another; one case it has nothing to do with."""
    taken, taken_items = stored_items(4)
    handed_to_procuratorate(taken, [taken_items[0].id, taken_items[1].id])  # it sees all four
    offered_case, offered_items = stored_items(3)
    send_to_procuratorate(offered_case, [offered_items[0].id, offered_items[2].id])
    register(offered_case, "未移送的物品")
    stored_items(2)  # not its business
    return act("prosecutor")


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_every_page_is_the_whole_lists_page(prosecutors_view, sort):
    query = ItemQuery(sort=sort)
    whole = [item.id for item in db.session.scalars(items_query(prosecutors_view, query))]
    assert len(whole) == 4 + 2  # the four of the case it takes part in, the two offered
    keys = items_page_keys(db.session, prosecutors_view, query)
    for size in (1, 2, 4):
        paged = []
        for offset in range(0, len(whole) + size, size):
            rows = page_rows(
                db.session, items_query(prosecutors_view, query), limit=size, offset=offset, keys=keys
            )
            paged += [item.id for item in rows]
        assert paged == whole, (sort, size)


def test_the_union_is_used_on_postgresql_only_and_not_for_auditors(prosecutors_view):
    keys = items_page_keys(db.session, prosecutors_view, ItemQuery())
    if db.engine.dialect.name == "postgresql":
        sql = " ".join(str(keys(50, 100).compile(dialect=postgresql.dialect())).split())
        assert sql.count("UNION") == 1, sql
        assert "item.case_id IN (SELECT case_participant.case_id" in sql, sql
        assert "= ANY" not in sql, sql  # plain semi-joins, which the planner estimates
    else:
        assert keys is None
    assert items_page_keys(db.session, act("auditor"), ItemQuery()) is None
