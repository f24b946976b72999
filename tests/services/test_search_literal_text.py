"""A search box's ``q`` is literal text: LIKE's wildcards ``%`` and ``_`` are escaped (issue 14).

Both the item search (item list, ledger, ``GET /api/v1/items``) and the case search (case list,
``GET /api/v1/cases``) build their pattern through ``services.search.contains_text``.
"""

from __future__ import annotations

from custody.domain.enums import ItemCategory
from custody.extensions import db
from custody.services import cases
from custody.services.items import ItemQuery, items_query
from tests.factories import act, open_case, register


def _item_names(q: str) -> set[str]:
    rows = db.session.scalars(items_query(act("police_officer"), ItemQuery(q=q)))
    return {item.name for item in rows}


def _case_titles(q: str) -> set[str]:
    return {c.title for c in db.session.scalars(cases.list_cases_query(act("police_officer"), q=q))}


def test_search_q_escapes_like_wildcards_in_items(app):
    case = open_case()
    for name in ("纯度100%黄金", "纯度1000黄金", "型号A_1", "型号AB1", "路径a/b"):
        register(case, name=name, category=ItemCategory.GOODS)
    assert _item_names("100%") == {"纯度100%黄金"}
    assert _item_names("A_1") == {"型号A_1"}
    assert _item_names("%") == {"纯度100%黄金"}
    assert _item_names("_") == {"型号A_1"}
    assert _item_names("a/b") == {"路径a/b"}  # the escape character itself is literal too
    assert _item_names("a_1") == {"型号A_1"}  # still case-insensitive


def test_search_q_escapes_like_wildcards_in_cases(app):
    open_case(title="张三_诈骗案")
    open_case(title="张三某诈骗案")
    open_case(title="收益50%的集资诈骗案")
    assert _case_titles("张三_") == {"张三_诈骗案"}
    assert _case_titles("50%的") == {"收益50%的集资诈骗案"}
    assert _case_titles("%") == {"收益50%的集资诈骗案"}


def test_search_q_is_literal_through_the_api(client, auth_headers):
    case = open_case()
    register(case, name="纯度100%黄金", category=ItemCategory.GOODS)
    register(case, name="纯度1000黄金", category=ItemCategory.GOODS)
    answer = client.get("/api/v1/items", query_string={"q": "100%"}, headers=auth_headers("police_officer"))
    assert answer.status_code == 200
    assert [row["name"] for row in answer.get_json()] == ["纯度100%黄金"]
