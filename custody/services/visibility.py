"""What an agency may see, and loading (and locking) rows through that filter.

Visibility follows custody and case participation actually accepted [DESIGN §4, issue 14]:

- an agency **takes part in a case** (``CaseParticipant``) once it opened it or signed for something
  of it — the case file or an item; from then on its users see the case with all its items, events,
  seizure lists and dossier (an agency that has held the case keeps seeing it);
- an **offer** (a transfer line awaiting the receiver's decision) shows the receiver only the offered
  items — the lines it must check — not the rest of the case; recalling or rejecting the line takes
  that away again (the transfer itself stays visible to both sides: ``services/transfers``);
- auditors see everything; administrators see no case data.

Anything else is a 404, indistinguishable from a missing row.

The keepers of an agency operating a custody centre (三方共管 with an operator) also see the cases with
an item awaiting check-in or kept in a centre their agency operates, and, afterwards, the cases they
acted on (a participant row marked ``keepers_only``: the agency's other users do not see those).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, any_, false, func, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.visitors import InternalTraversal

from custody.domain.actor import Actor
from custody.domain.enums import LineDecision, LocationState, Role
from custody.domain.errors import NotFound
from custody.domain.i18n import N_
from custody.models.agency import StorageLocation
from custody.models.case import Case, CaseParticipant
from custody.models.item import Item
from custody.models.transfer import Transfer, TransferLine


class _AmongIds(ColumnElement[bool]):
    """``column IN (subquery)``; on PostgreSQL ``column = ANY(ARRAY(subquery))``: the subquery runs
    once (an InitPlan) and the comparison is an index condition, so an OR of two of them is a
    BitmapOr of two index scans — where ``IN (subquery) OR IN (subquery)`` leaves the planner only
    hashed filters over every row of the table (issue 15: the filtered list of 50 items read the
    whole city's items to show a district's)."""

    inherit_cache = True
    type = Boolean()
    # A comparison, not a boolean value: SQLite must not get ``… IN (…) = 1`` (which no index serves).
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("subquery", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, subquery: Select[Any]) -> None:
        self.column = column
        self.subquery = subquery

    @property
    def _from_objects(self) -> list[Any]:  # the column's table, as ``in_`` would add to a FROM
        return list(self.column.expression._from_objects)


@compiles(_AmongIds)
def _among_ids(element: _AmongIds, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.subquery), **kw))


@compiles(_AmongIds, "postgresql")
def _among_ids_postgresql(element: _AmongIds, compiler: Any, **kw: Any) -> str:
    array = func.array(element.subquery.scalar_subquery())
    return str(compiler.process(element.column == any_(array), **kw))


def among_ids(column: Any, subquery: Select[Any]) -> ColumnElement[bool]:
    """``column IN (subquery)``, written as an index condition on PostgreSQL (``_AmongIds``)."""
    return _AmongIds(column, subquery)


def _not_found(what: str) -> NotFound:
    return NotFound(N_("Record not found, or not visible to your agency."), code=f"not_found.{what}")


def sees_everything(actor: Actor) -> bool:
    return actor.has_role(Role.AUDITOR)


def _visible_case_ids(actor: Actor) -> Any:
    """The ids of the cases ``actor`` sees (not an auditor, not only an administrator), as a subquery."""
    participant = select(CaseParticipant.case_id).where(CaseParticipant.agency_id == actor.agency_id)
    if not actor.has_role(Role.KEEPER):
        return participant.where(CaseParticipant.keepers_only.is_(False))
    if not actor.operated_centre_ids:
        return participant
    # A centre operator's keeper: also the cases with an item awaiting check-in (it may come to the
    # centre) or kept in a centre the agency operates.
    in_centre = select(Item.case_id).where(
        or_(
            Item.location_state == LocationState.AWAITING_CHECK_IN,
            Item.storage_location_id.in_(
                select(StorageLocation.id).where(
                    StorageLocation.centre_id.in_(sorted(actor.operated_centre_ids))
                )
            ),
        )
    )
    return participant.union(in_centre)


def offered_items(agency_id: int) -> Any:
    """Ids of the items offered to ``agency_id`` on transfer lines still awaiting its decision."""
    return (
        select(TransferLine.item_id)
        .join(Transfer, Transfer.id == TransferLine.transfer_id)
        .where(Transfer.to_agency_id == agency_id, TransferLine.decision == LineDecision.PENDING)
    )


def visibility_scope(actor: Actor) -> tuple[Any, ...]:
    """What decides which cases ``actor`` sees (``_visible_case_ids``): two actors with the same scope
    see the same cases, so figures about them may be shared (``statistics.recent_statistics``)."""
    if sees_everything(actor):
        return ("everything",)
    if not actor.roles - {Role.ADMIN}:
        return ("nothing",)
    if not actor.has_role(Role.KEEPER):
        return ("agency", actor.agency_id)
    return ("keepers", actor.agency_id, tuple(sorted(actor.operated_centre_ids)))


def case_filter(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on ``Case.id`` selecting the cases ``actor`` may see."""
    if sees_everything(actor):
        return true()
    if not actor.roles - {Role.ADMIN}:
        return false()
    return Case.id.in_(_visible_case_ids(actor))


def case_item_filter(actor: Actor) -> ColumnElement[bool]:
    """Items of the cases ``actor`` may see — without the items merely offered to its agency (for
    figures about the agency's own cases: statistics)."""
    if sees_everything(actor):
        return true()
    if not actor.roles - {Role.ADMIN}:
        return false()
    return Item.case_id.in_(_visible_case_ids(actor))


def _item_parts(actor: Actor) -> list[tuple[Any, Any]]:
    """The parts whose union is what a (not auditor, not only administrator) ``actor`` sees: an item
    column and the subquery of its values — the items of the cases it sees, the items offered to it.
    ``item_filter`` and ``item_sources`` are both made of these."""
    return [(Item.case_id, _visible_case_ids(actor)), (Item.id, offered_items(actor.agency_id))]


def item_filter(actor: Actor) -> ColumnElement[bool]:
    """Items ``actor`` may see: every item of a case it sees, and the items offered to its agency on
    transfer lines awaiting its decision."""
    if sees_everything(actor):
        return true()
    if not actor.roles - {Role.ADMIN}:
        return false()
    return or_(*(_AmongIds(column, values) for column, values in _item_parts(actor)))


def item_sources(actor: Actor) -> list[ColumnElement[bool]] | None:
    """``item_filter`` as the conditions whose union it is — the items of the cases ``actor`` sees,
    the items offered to its agency — each a plain ``IN (subquery)`` that PostgreSQL turns into a
    semi-join it can estimate (issue 15: a list's page, ``items.items_page_keys``). None when the
    actor sees everything or nothing."""
    if sees_everything(actor) or not actor.roles - {Role.ADMIN}:
        return None
    return [column.in_(values) for column, values in _item_parts(actor)]


def takes_part(session: Session, actor: Actor, case_id: int) -> bool:
    """Whether ``actor`` may see the case itself (not only an offered item of it)."""
    return session.scalar(select(Case.id).where(Case.id == case_id, case_filter(actor))) is not None


def get_case(
    session: Session, actor: Actor, case_id: int, *, lock: bool = False, load: Iterable[Any] = ()
) -> Case:
    """The case if ``actor`` may see it (else 404); ``lock`` row-locks it, ``load`` adds loader
    options for what the caller shows of it (e.g. ``services.cases.CASE_AGENCIES``)."""
    stmt = select(Case).where(Case.id == case_id, case_filter(actor)).options(*load)
    if lock:
        stmt = stmt.with_for_update(of=Case)
    case = session.scalar(stmt)
    if case is None:
        raise _not_found("case")
    return case


def get_item(session: Session, actor: Actor, item_id: int, *, detail: bool = False) -> Item:
    """The item if ``actor`` may see it (else 404). ``detail`` loads what its page and its API
    answer show — case, seizure list, attachments, corrections — in the same statement."""
    stmt = select(Item).where(Item.id == item_id, item_filter(actor))
    if detail:
        stmt = stmt.options(
            joinedload(Item.case),
            joinedload(Item.seizure_list),
            joinedload(Item.attachments),
            joinedload(Item.corrections),
        )
    item = session.scalars(stmt).unique().first()
    if item is None:
        raise _not_found("item")
    return item


def require_item_visible(session: Session, actor: Actor, item_id: int) -> None:
    """404 unless the item exists and ``actor`` may see it (without loading the row)."""
    if session.scalar(select(Item.id).where(Item.id == item_id, item_filter(actor))) is None:
        raise _not_found("item")


def lock_items(
    session: Session, actor: Actor, item_ids: Iterable[int], *, load: Iterable[Any] = ()
) -> list[Item]:
    """Load and row-lock items in ascending id order (a fixed order: no deadlocks between
    multi-item actions). Every id must exist and be visible, else nothing is locked (404).
    ``load``: loader options for what the caller reads of every item (no query per item)."""
    ids = sorted(set(item_ids))
    if not ids:
        return []
    items = list(
        session.scalars(
            select(Item)
            .where(Item.id.in_(ids), item_filter(actor))
            .order_by(Item.id)
            .with_for_update(of=Item)
            .execution_options(populate_existing=True)
            .options(*load)
        )
    )
    if len(items) != len(ids):
        raise _not_found("item")
    return items


def add_participant(session: Session, case_id: int, agency_id: int, *, keepers_only: bool = False) -> None:
    """Let ``agency_id`` see the case from now on (idempotent). ``keepers_only``: the agency took part
    only as a centre's operator, so only its keepers see the case; a real part in the case (opening it,
    signing for its file or an item — never a mere offer) opens it to all its users and is never
    narrowed again."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(CaseParticipant).values(
        case_id=case_id, agency_id=agency_id, keepers_only=keepers_only
    )
    if keepers_only:
        session.execute(statement.on_conflict_do_nothing())
    else:
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[CaseParticipant.case_id, CaseParticipant.agency_id],
                set_={"keepers_only": False},
                where=CaseParticipant.keepers_only.is_(True),
            )
        )
