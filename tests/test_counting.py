"""A list's total and page (custody/counting.py, issue 15), on both engines."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from custody.counting import RowCount, count_rows, page_rows
from custody.extensions import db
from custody.models.case import Case
from custody.models.item import Item

from .factories import open_case, register


def _items(count: int):
    case = open_case("分页测试案")
    return case, [register(case, f"物品{n}").id for n in range(count)]


def test_the_total_is_exact_up_to_the_limit_or_the_pages_end_then_more_than(app):
    case, _ids = _items(5)
    stmt = select(Item).where(Item.case_id == case.id)
    assert count_rows(db.session, stmt, limit=10) == RowCount(5, exact=True)
    assert count_rows(db.session, stmt, limit=3) == RowCount(3, exact=False)  # more than 3
    assert count_rows(db.session, stmt, limit=3, at_least=4) == RowCount(4, exact=False)
    assert count_rows(db.session, stmt, limit=3, at_least=6) == RowCount(5, exact=True)
    assert count_rows(db.session, stmt, limit=0) == RowCount(5, exact=True)


def test_a_page_by_key_keeps_the_order_and_the_offset(app):
    case, ids = _items(5)
    newest_first = select(Item).where(Item.case_id == case.id).order_by(Item.id.desc())
    page = page_rows(db.session, newest_first, limit=2, offset=1)
    assert [item.id for item in page] == [ids[3], ids[2]]
    assert page_rows(db.session, newest_first, limit=2, offset=5) == []


def test_a_statement_naming_two_tables_pages_too(app):
    case, ids = _items(3)
    joined = (
        select(Item)
        .where(Item.case_id == Case.id, Case.title == "分页测试案", Case.id == case.id)
        .order_by(Item.id)
    )
    assert [item.id for item in page_rows(db.session, joined, limit=2, offset=1)] == ids[1:3]


def test_statements_of_another_shape_are_paged_as_they_are(app):
    case, ids = _items(3)
    alias = aliased(Item)
    by_alias = select(alias).where(alias.case_id == case.id).order_by(alias.id)
    assert [item.id for item in page_rows(db.session, by_alias, limit=2, offset=0)] == ids[:2]
    grouped = select(Item).where(Item.case_id == case.id).group_by(Item.id).order_by(Item.id)
    assert [item.id for item in page_rows(db.session, grouped, limit=5, offset=2)] == ids[2:]
    names = select(Item.name).where(Item.case_id == case.id).order_by(Item.id)
    assert page_rows(db.session, names, limit=1, offset=1) == ["物品1"]
