"""Human-readable numbers: label codes, seizure list and transfer numbers.

A counter row per (scope, year), incremented under a row lock, so concurrent registrations never
get the same number and numbers have no gaps within a committed sequence.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from custody.models.case import NumberSequence

# [DESIGN] One zero-padding for every number a person reads or types: label codes and document
# numbers alike end in a six-digit counter (PDGA-2026-000123, QD-PDGA-2026-000012).
DIGITS = 6


def next_number(session: Session, scope: str, year: int, count: int = 1) -> int:
    """Take ``count`` consecutive numbers; returns the first.

    One statement: the UPDATE takes the counter's row lock (held to the end of the transaction, so
    a concurrent registration waits for this one's number to be committed or given back) and
    RETURNING gives the new value. The counter row is created the first time a scope and year is
    used (both engines support RETURNING: PostgreSQL, SQLite 3.35+)."""
    take = (
        update(NumberSequence)
        .where(NumberSequence.scope == scope, NumberSequence.year == year)
        .values(last_value=NumberSequence.last_value + count)
        .returning(NumberSequence.last_value)
        .execution_options(synchronize_session=False)
    )
    last = session.execute(take).scalar_one_or_none()
    if last is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(NumberSequence).values(scope=scope, year=year, last_value=0).on_conflict_do_nothing()
        )
        last = session.execute(take).scalar_one()
    return last - count + 1


def label_code(session: Session, agency_code: str, year: int) -> str:
    """e.g. PDGA-2026-000123: the agency that registered the item, the year, a counter."""
    return label_codes(session, agency_code, year, 1)[0]


def label_codes(session: Session, agency_code: str, year: int, count: int) -> list[str]:
    first = next_number(session, f"label:{agency_code}", year, count)
    return [f"{agency_code}-{year}-{n:0{DIGITS}d}" for n in range(first, first + count)]


def next_code(session: Session, prefix: str, agency_code: str, year: int) -> str:
    """A document number such as ``YS-PDGA-2026-000012`` (prefix: QD 清单, YS 移送, DY 调用, CZ 处置)."""
    return f"{prefix}-{agency_code}-{year}-{next_number(session, f'{prefix}:{agency_code}', year):0{DIGITS}d}"


def seizure_list_no(session: Session, agency_code: str, year: int) -> str:
    return next_code(session, "QD", agency_code, year)


def transfer_no(session: Session, agency_code: str, year: int) -> str:
    return next_code(session, "YS", agency_code, year)
