"""A list's total, counted up to a bound, and its page, found by key (issue 15).

An exact total costs as much as reading every row that matches: a district's filtered list of 50
items counted all 12,500 of the district's items at city scale, and the count grew with the years of
records while the page did not. Past ``CUSTODY_LIST_COUNT_LIMIT`` rows (1,000 by default; 0 counts
everything) a list says "more than N" instead — our choice, as search pages do: nobody pages through
a thousand rows, they narrow the filter. The bound is never below the end of the page asked for, so
the next page is always known to exist or not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Mapper, Session

from custody.services.visibility import among_ids


@dataclass(frozen=True)
class RowCount:
    count: int
    exact: bool  # False: there are more than ``count`` rows


def count_rows(session: Session, stmt: Select[Any], *, limit: int, at_least: int = 0) -> RowCount:
    """The number of rows of ``stmt``, exact up to ``max(limit, at_least)``; beyond that, "more than"
    that many (the count stops reading there). ``limit`` 0: always exact."""
    rows = stmt.order_by(None)
    if limit <= 0:
        return RowCount(session.scalar(select(func.count()).select_from(rows.subquery())) or 0, True)
    bound = max(limit, at_least)
    counted = session.scalar(select(func.count()).select_from(rows.limit(bound + 1).subquery())) or 0
    return RowCount(bound, False) if counted > bound else RowCount(counted, True)


def page_rows(
    session: Session, stmt: Select[Any], *, limit: int, offset: int, keys: PageKeys | None = None
) -> list[Any]:
    """One page of ``stmt``'s rows (``page_statement``)."""
    return list(session.scalars(page_statement(stmt, limit=limit, offset=offset, keys=keys)))


# A function of (limit, offset) giving a page's keys in order, when the caller knows a better way to
# find them than ``stmt`` itself (``services.items.items_page_keys``).
PageKeys = Callable[[int, int], Select[Any]]


def page_statement(
    stmt: Select[Any], *, limit: int, offset: int, keys: PageKeys | None = None
) -> Select[Any]:
    """One page of ``stmt``: its keys first — the filter, the order and the limit, nothing joined —
    then those rows with what ``stmt`` loads along (issue 15). Run whole, a planner that misjudges
    how many rows the filter keeps (PostgreSQL, with the visibility filter's arrays) joined every
    match to its agency and locations before sorting: 54 ms for a district's 11,000 items to show
    50, 12 ms this way.

    For statements of one mapped entity, one row each (joins to one row, not to many): anything else
    — an alias, DISTINCT, GROUP BY, a composite key — is paged as it is."""
    described = stmt.column_descriptions
    entity = described[0].get("entity") if len(described) == 1 else None
    found = inspect(entity, raiseerr=False) if entity is not None else None
    shaped = isinstance(found, Mapper) and not (
        # No public accessors for these; a statement with any of them is paged as it is.
        getattr(stmt, "_distinct", False) or getattr(stmt, "_group_by_clauses", ())
    )
    if not shaped or len(found.primary_key) != 1:  # type: ignore[union-attr]
        return stmt.limit(limit).offset(offset)
    key = found.primary_key[0]  # type: ignore[union-attr]
    # correlate(None): a statement naming two tables in its WHERE must not see its keys correlated away.
    found_keys = (
        keys(limit, offset)
        if keys is not None
        else stmt.with_only_columns(key).correlate(None).limit(limit).offset(offset)
    )
    # On PostgreSQL ``= ANY(ARRAY(keys))``: an index condition on the key, which the planner prefers
    # to the filter it misjudges (``IN (keys)`` still had it join every match first).
    return stmt.where(among_ids(key, found_keys))
