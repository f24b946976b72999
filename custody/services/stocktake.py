"""盘点 — a keeper counts a storage location and everything under it.

start → scan labels (one at a time, from the scan box or the API) → finish. Finishing judges every
line (``custody.domain.stocktake``) and turns discrepancies (missing, unexpected, wrong location)
into records that an approver of the responsible agency resolves with a reason.

A stocktake is physical: the keeper counts every item on the shelves, whichever agency holds it,
so its lines show label codes, item names and shelf positions of all items in the counted area (no
case, owner or value data). A scanned item whose recorded storage location is anywhere in the
stocktake's custody centre is on the centre's books: it is named and judged like any other (found on
the wrong shelf: wrong location), and its discrepancy goes to its custodian agency. A label not on
record, or of an item not stored in this centre (kept outside, elsewhere) and not visible to the
keeper's agency, reads as an unknown label: no item, no name, nothing written into that item's
history — the scan box is no way to look up other agencies' items kept elsewhere. Discrepancies
are also written into each affected item's history. Every scan is itself an audit event of the
stocktake, so a rescan does not erase the first one from the record.

Lock order: the custody centre row (starting only: overlapping counts are refused one at a time),
the stocktake row, then items by id.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.enums import EventCategory, LocationState
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.domain.i18n import N_
from custody.domain.policy import Action, Relation, allowed, require
from custody.domain.stocktake import (
    DISCREPANCIES,
    RESULT_ORDER,
    DiscrepancyStatus,
    ItemRecord,
    StocktakeResult,
    StocktakeStatus,
    check_label,
    check_resolution,
    classify_scan,
    ensure_open,
    in_centre,
    initial_result,
    on_books,
    result_at_finish,
)
from custody.models.agency import CustodyCentre, StorageLocation
from custody.models.item import Item
from custody.models.oversight import Stocktake, StocktakeDiscrepancy, StocktakeLine
from custody.orm import utcnow
from custody.text import spreadsheet_text

from . import numbers
from .item_events import append_item_event
from .visibility import item_filter, sees_everything

ON_SHELF = (LocationState.IN_STORAGE, LocationState.CHECKED_OUT)


def _not_found(what: str = "stocktake") -> NotFound:
    return NotFound(N_("Record not found, or not visible to your agency."), code=f"not_found.{what}")


# -- the location tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """The storage locations of one centre: parents and display paths."""

    parent: dict[int, int | None]
    path: dict[int, str]

    @classmethod
    def load(cls, session: Session, centre_id: int) -> Tree:
        rows = session.execute(
            select(
                StorageLocation.id, StorageLocation.parent_id, StorageLocation.code, StorageLocation.name
            ).where(StorageLocation.centre_id == centre_id)
        ).all()
        parent = {r.id: r.parent_id for r in rows}
        names = {r.id: f"{r.name}（{r.code}）" for r in rows}
        path: dict[int, str] = {}
        for location_id in parent:
            chain, node = [], location_id
            while node is not None:
                chain.append(names[node])
                node = parent[node]
            path[location_id] = " › ".join(reversed(chain))
        return cls(parent, path)

    def path_of(self, location_id: int | None) -> str | None:
        """The display path of a location, None for no location (or one outside this centre)."""
        return None if location_id is None else self.path.get(location_id)

    def ancestry(self, location_id: int | None) -> list[int]:
        """The location and every location containing it."""
        chain, node = [], location_id
        while node is not None and node in self.parent:
            chain.append(node)
            node = self.parent[node]
        return chain

    def subtree(self, root_id: int) -> frozenset[int]:
        return frozenset(loc for loc in self.parent if root_id in self.ancestry(loc))


def _location(session: Session, location_id: int) -> StorageLocation:
    location = session.get(StorageLocation, location_id)
    if location is None or not location.is_active:
        raise NotFound(
            N_("Unknown or inactive storage location."),
            code="not_found.location",
            fields={"location_id": [N_("Unknown or inactive storage location.")]},
        )
    return location


def _event(session: Session, actor: Actor, stocktake: Stocktake, action: str, **data: Any) -> None:
    record_event(
        session,
        category=EventCategory.CUSTODY,
        action=action,
        actor=actor,
        object_type="stocktake",
        object_id=stocktake.id,
        data={"stocktake_no": stocktake.stocktake_no, **data},
    )


def _locked(session: Session, stocktake_id: int) -> Stocktake:
    stocktake = session.scalar(
        select(Stocktake)
        .where(Stocktake.id == stocktake_id)
        .with_for_update(of=Stocktake)
        .execution_options(populate_existing=True)
    )
    if stocktake is None:
        raise _not_found()
    return stocktake


def _lock_items_any_agency(session: Session, item_ids: Iterable[int]) -> dict[int, Item]:
    """Row-lock items in id order whichever agency holds them (a count covers every item on the
    shelves; the stocktake, not the item's case, is what the keeper acts on)."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    return {
        item.id: item
        for item in session.scalars(
            select(Item)
            .where(Item.id.in_(ids))
            .order_by(Item.id)
            .with_for_update(of=Item)
            .execution_options(populate_existing=True)
        )
    }


# -- workflow -------------------------------------------------------------------------------------


def start_stocktake(
    session: Session, actor: Actor, *, location_id: int, note: str | None = None
) -> Stocktake:
    """Start counting ``location_id`` and all locations under it; the books are read now."""
    require(actor, Action.CONDUCT_STOCKTAKE)
    root = _location(session, location_id)
    # Two keepers starting at the same moment: the centre's row lock makes the second wait, and then
    # see the first one's committed stocktake in the overlap check below.
    session.scalar(select(CustodyCentre.id).where(CustodyCentre.id == root.centre_id).with_for_update())
    tree = Tree.load(session, root.centre_id)
    subtree = tree.subtree(root.id)
    for other in session.scalars(
        select(Stocktake).where(
            Stocktake.status == StocktakeStatus.OPEN, Stocktake.centre_id == root.centre_id
        )
    ):
        if other.root_location_id in subtree or root.id in tree.subtree(other.root_location_id):
            raise Conflict(
                N_("Stocktake %(no)s is already counting part of this area; finish or cancel it first."),
                code="stocktake.overlap",
                no=other.stocktake_no,
            )
    note = (note or "").strip() or None
    if note and len(note) > 500:
        raise InvalidInput(N_("Too long."), fields={"note": [N_("Too long.")]})
    stocktake = Stocktake(
        stocktake_no=numbers.next_code(session, "PD", actor.agency_code, utcnow().year),
        centre_id=root.centre_id,
        root_location_id=root.id,
        agency_id=actor.agency_id,
        status=StocktakeStatus.OPEN,
        note=note,
        started_by_id=actor.user_id,
    )
    session.add(stocktake)
    session.flush()
    books = session.execute(
        select(Item.id, Item.label_code, Item.location_state, Item.storage_location_id)
        .where(Item.storage_location_id.in_(subtree), Item.location_state.in_(ON_SHELF))
        .order_by(Item.id)
    ).all()
    session.add_all(
        [
            StocktakeLine(
                stocktake_id=stocktake.id,
                label_code=row.label_code,
                item_id=row.id,
                expected=True,
                book_state=row.location_state,
                book_location_id=row.storage_location_id,
                result=initial_result(ItemRecord(row.location_state, row.storage_location_id)),
            )
            for row in books
        ]
    )
    session.flush()
    _event(
        session,
        actor,
        stocktake,
        "stocktake.start",
        location_id=root.id,
        location_path=tree.path[root.id],
        expected=len(books),
        checked_out=sum(r.location_state is LocationState.CHECKED_OUT for r in books),
    )
    return stocktake


def scan(
    session: Session, actor: Actor, stocktake_id: int, *, label_code: str, location_id: int | None = None
) -> StocktakeLine:
    """One scanned label, judged against the item's record now. Scanning again updates the line."""
    require(actor, Action.CONDUCT_STOCKTAKE)
    label = check_label(label_code)
    stocktake = _locked(session, stocktake_id)
    ensure_open(stocktake.status)
    tree = Tree.load(session, stocktake.centre_id)
    subtree = tree.subtree(stocktake.root_location_id)
    if location_id is not None and location_id not in subtree:
        raise InvalidInput(
            N_("That location is not part of this stocktake."),
            fields={"location_id": [N_("Not in the counted area.")]},
        )
    line = session.scalar(
        select(StocktakeLine).where(
            StocktakeLine.stocktake_id == stocktake.id, StocktakeLine.label_code == label
        )
    )
    item = session.scalar(select(Item).where(Item.label_code == label))
    if item is not None and not _countable(session, actor, item, line, subtree, tree):
        item = None  # someone else's item not kept in this centre: to this keeper, an unknown label
    record = ItemRecord(item.location_state, item.storage_location_id) if item else None
    found = location_id if location_id is not None else stocktake.root_location_id
    result = classify_scan(record, found, tree.ancestry(item.storage_location_id) if item else ())
    if line is None:
        line = StocktakeLine(
            stocktake_id=stocktake.id,
            label_code=label,
            expected=False,
            item_id=item.id if item else None,
            book_state=item.location_state if item else None,
            book_location_id=item.storage_location_id if item else None,
            scan_count=0,
            result=result,
        )
        session.add(line)
    line.found_location_id = location_id
    line.scan_count += 1
    line.scanned_at = utcnow()
    line.scanned_by_id = actor.user_id
    line.result = result
    session.flush()
    _event(
        session,
        actor,
        stocktake,
        "stocktake.scan",
        label_code=label,
        result=result,
        location_id=location_id,
        location_path=tree.path.get(location_id) if location_id is not None else None,
        scan_count=line.scan_count,
    )
    return line


def _countable(
    session: Session,
    actor: Actor,
    item: Item,
    line: StocktakeLine | None,
    subtree: frozenset[int],
    tree: Tree,
) -> bool:
    """Whether a scanned item may be named on this count: it is already a line of it (on the books
    when the count started), the books place it on the counted shelves now or anywhere else in this
    custody centre (a misplaced item of the centre is a wrong location for its custodian to resolve,
    not an unknown label), or the keeper's agency may see it anyway."""
    if line is not None and line.item_id == item.id:
        return True
    record = ItemRecord(item.location_state, item.storage_location_id)
    if on_books(record, subtree) or in_centre(record, tree.parent):
        return True
    return session.scalar(select(Item.id).where(Item.id == item.id, item_filter(actor))) is not None


def finish_stocktake(session: Session, actor: Actor, stocktake_id: int) -> Stocktake:
    """Judge what nobody scanned, record the discrepancies and close the count."""
    require(actor, Action.CONDUCT_STOCKTAKE)
    stocktake = _locked(session, stocktake_id)
    ensure_open(stocktake.status)
    tree = Tree.load(session, stocktake.centre_id)
    subtree = tree.subtree(stocktake.root_location_id)
    lines = {
        line.label_code: line
        for line in session.scalars(select(StocktakeLine).where(StocktakeLine.stocktake_id == stocktake.id))
    }
    # The books now: items on the counted shelves (in storage or out on check-out).
    for row in session.execute(
        select(Item.id, Item.label_code, Item.location_state, Item.storage_location_id).where(
            Item.storage_location_id.in_(subtree), Item.location_state.in_(ON_SHELF)
        )
    ):
        if row.label_code not in lines:
            line = StocktakeLine(
                stocktake_id=stocktake.id,
                label_code=row.label_code,
                item_id=row.id,
                expected=False,
                book_state=row.location_state,
                book_location_id=row.storage_location_id,
                result=StocktakeResult.PENDING,
                scan_count=0,
            )
            session.add(line)
            lines[row.label_code] = line
    unscanned = [line for line in lines.values() if line.scan_count == 0]
    records = {
        row.id: ItemRecord(row.location_state, row.storage_location_id)
        for row in session.execute(
            select(Item.id, Item.location_state, Item.storage_location_id).where(
                Item.id.in_([line.item_id for line in unscanned if line.item_id is not None])
            )
        )
    }
    for line in unscanned:
        line.result = result_at_finish(records.get(line.item_id) if line.item_id else None, subtree)
    now = utcnow()
    stocktake.status = StocktakeStatus.FINISHED
    stocktake.finished_by_id = actor.user_id
    stocktake.finished_at = now
    session.flush()

    wrong = sorted(
        (line for line in lines.values() if line.result in DISCREPANCIES), key=lambda ln: ln.label_code
    )
    items = _lock_items_any_agency(session, [line.item_id for line in wrong if line.item_id is not None])
    for line in wrong:
        item = items.get(line.item_id) if line.item_id else None
        session.add(
            StocktakeDiscrepancy(
                stocktake_id=stocktake.id,
                line_id=line.id,
                item_id=line.item_id,
                label_code=line.label_code,
                kind=line.result,
                responsible_agency_id=item.custodian_agency_id if item else stocktake.agency_id,
                status=DiscrepancyStatus.OPEN,
            )
        )
    session.flush()
    for line in sorted(wrong, key=lambda ln: ln.item_id or 0):
        item = items.get(line.item_id) if line.item_id else None
        if item is not None:
            append_item_event(
                session,
                item,
                actor,
                "stocktake.discrepancy",
                occurred_at=now,
                data={
                    "stocktake_id": stocktake.id,
                    "stocktake_no": stocktake.stocktake_no,
                    "kind": line.result,
                    "book_location": tree.path_of(line.book_location_id),
                    "found_location": tree.path_of(line.found_location_id),
                },
            )
    _event(
        session, actor, stocktake, "stocktake.finish", counts=counts(lines.values()), discrepancies=len(wrong)
    )
    return stocktake


def cancel_stocktake(session: Session, actor: Actor, stocktake_id: int, *, reason: str) -> Stocktake:
    require(actor, Action.CONDUCT_STOCKTAKE)
    reason = check_resolution(reason)
    stocktake = _locked(session, stocktake_id)
    ensure_open(stocktake.status)
    stocktake.status = StocktakeStatus.CANCELLED
    stocktake.finished_by_id = actor.user_id
    stocktake.finished_at = utcnow()
    record_event(
        session,
        category=EventCategory.CUSTODY,
        action="stocktake.cancel",
        actor=actor,
        object_type="stocktake",
        object_id=stocktake.id,
        reason=reason,
        data={"stocktake_no": stocktake.stocktake_no},
    )
    return stocktake


def resolve_discrepancy(
    session: Session, actor: Actor, discrepancy_id: int, *, reason: str
) -> StocktakeDiscrepancy:
    """An approver of the responsible agency closes a discrepancy with a reason."""
    discrepancy = session.scalar(
        select(StocktakeDiscrepancy)
        .where(StocktakeDiscrepancy.id == discrepancy_id)
        .with_for_update(of=StocktakeDiscrepancy)
        .execution_options(populate_existing=True)
    )
    if discrepancy is None or not (
        sees_everything(actor) or discrepancy.responsible_agency_id == actor.agency_id
    ):
        raise _not_found("discrepancy")
    require(
        actor,
        Action.RESOLVE_DISCREPANCY,
        {Relation.CUSTODIAN} if discrepancy.responsible_agency_id == actor.agency_id else set(),
    )
    if discrepancy.status is not DiscrepancyStatus.OPEN:
        raise Conflict(N_("The discrepancy has already been resolved."), code="discrepancy.resolved")
    if discrepancy.stocktake.started_by_id == actor.user_id:
        raise PermissionDenied(
            N_("You started this stocktake: another approver must resolve its discrepancies."),
            code="separation.stocktake_resolver",
        )
    reason = check_resolution(reason)
    now = utcnow()
    discrepancy.status = DiscrepancyStatus.RESOLVED
    discrepancy.resolution_reason = reason
    discrepancy.resolved_by_id = actor.user_id
    discrepancy.resolved_at = now
    if discrepancy.item_id is not None:
        item = _lock_items_any_agency(session, [discrepancy.item_id])[discrepancy.item_id]
        append_item_event(
            session,
            item,
            actor,
            "stocktake.resolve",
            reason=reason,
            occurred_at=now,
            data={
                "discrepancy_id": discrepancy.id,
                "stocktake_id": discrepancy.stocktake_id,
                "kind": discrepancy.kind,
            },
        )
    else:
        record_event(
            session,
            category=EventCategory.CUSTODY,
            action="stocktake.resolve",
            actor=actor,
            object_type="stocktake_discrepancy",
            object_id=discrepancy.id,
            reason=reason,
            data={
                "stocktake_id": discrepancy.stocktake_id,
                "label_code": discrepancy.label_code,
                "kind": discrepancy.kind,
            },
        )
    return discrepancy


# -- reading ------------------------------------------------------------------------------------


def require_reader(actor: Actor) -> None:
    """Stocktakes are read by keepers, approvers and auditors (the supervision pages)."""
    require(actor, Action.VIEW_STATISTICS)


def stocktakes_query(actor: Actor, *, status: StocktakeStatus | None = None) -> Select[Any]:
    require_reader(actor)
    # Each count's shelf (its path is shown) in the page's statement (issue 15's query budgets).
    stmt = select(Stocktake).options(joinedload(Stocktake.root_location))
    if status is not None:
        stmt = stmt.where(Stocktake.status == status)
    return stmt.order_by(Stocktake.id.desc())


def get_stocktake(session: Session, actor: Actor, stocktake_id: int) -> Stocktake:
    require_reader(actor)
    stocktake = session.get(Stocktake, stocktake_id)
    if stocktake is None:
        raise _not_found()
    return stocktake


def lines(session: Session, stocktake: Stocktake) -> list[StocktakeLine]:
    return list(
        session.scalars(
            select(StocktakeLine)
            .where(StocktakeLine.stocktake_id == stocktake.id)
            .order_by(StocktakeLine.label_code)
        )
    )


class _HasResult(Protocol):
    @property
    def result(self) -> StocktakeResult: ...


def counts(lines: Iterable[_HasResult]) -> dict[str, int]:
    """How many lines ended in each result (every result listed, report order)."""
    tally = Counter(line.result for line in lines)
    return {result.value: tally.get(result, 0) for result in RESULT_ORDER}


@dataclass(frozen=True)
class ReportLine:
    label_code: str
    name: str | None
    expected: bool
    book_location: str | None
    found_location: str | None
    result: StocktakeResult
    scanned_at: datetime | None
    discrepancy_status: DiscrepancyStatus | None


def report_lines(session: Session, stocktake: Stocktake) -> list[ReportLine]:
    tree = Tree.load(session, stocktake.centre_id)
    discrepancies = {
        d.line_id: d.status
        for d in session.scalars(
            select(StocktakeDiscrepancy).where(StocktakeDiscrepancy.stocktake_id == stocktake.id)
        )
    }
    rows = session.execute(
        select(StocktakeLine, Item.name)
        .outerjoin(Item, Item.id == StocktakeLine.item_id)
        .where(StocktakeLine.stocktake_id == stocktake.id)
        .order_by(StocktakeLine.label_code)
    ).all()
    order = {result: n for n, result in enumerate(RESULT_ORDER)}
    lines = [
        ReportLine(
            line.label_code,
            name,
            line.expected,
            tree.path_of(line.book_location_id),
            tree.path_of(line.found_location_id),
            line.result,
            line.scanned_at,
            discrepancies.get(line.id),
        )
        for line, name in rows
    ]
    return sorted(lines, key=lambda ln: (order[ln.result], ln.label_code))


def discrepancies_query(
    actor: Actor, *, status: DiscrepancyStatus | None = None, stocktake_id: int | None = None
) -> Select[Any]:
    """Auditors see every discrepancy; an agency's users those their agency must resolve."""
    require_reader(actor)
    # Each discrepancy's count (its number is shown) in the page's statement (query budgets).
    stmt = select(StocktakeDiscrepancy).options(joinedload(StocktakeDiscrepancy.stocktake))
    if not sees_everything(actor):
        stmt = stmt.where(StocktakeDiscrepancy.responsible_agency_id == actor.agency_id)
    if status is not None:
        stmt = stmt.where(StocktakeDiscrepancy.status == status)
    if stocktake_id is not None:
        stmt = stmt.where(StocktakeDiscrepancy.stocktake_id == stocktake_id)
    return stmt.order_by(StocktakeDiscrepancy.id)


def list_discrepancies(
    session: Session,
    actor: Actor,
    *,
    status: DiscrepancyStatus | None = None,
    stocktake_id: int | None = None,
) -> list[StocktakeDiscrepancy]:
    return list(session.scalars(discrepancies_query(actor, status=status, stocktake_id=stocktake_id)))


def count_discrepancies(session: Session, actor: Actor, *, status: DiscrepancyStatus | None = None) -> int:
    stmt = discrepancies_query(actor, status=status).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(stmt)) or 0


def may_count(actor: Actor, record: Stocktake) -> bool:
    """Whether the actor may scan, finish or cancel the count now (what ``scan``,
    ``finish_stocktake`` and ``cancel_stocktake`` require)."""
    return record.status is StocktakeStatus.OPEN and allowed(actor, Action.CONDUCT_STOCKTAKE)


def may_resolve(actor: Actor, discrepancy: StocktakeDiscrepancy) -> bool:
    """Whether the actor may resolve the discrepancy (what ``resolve_discrepancy`` requires): an
    approver of the agency responsible for it, while it is open, who did not start the count."""
    responsible = discrepancy.responsible_agency_id == actor.agency_id
    return (
        discrepancy.status is DiscrepancyStatus.OPEN
        and discrepancy.stocktake.started_by_id != actor.user_id
        and allowed(actor, Action.RESOLVE_DISCREPANCY, {Relation.CUSTODIAN} if responsible else set())
    )


def list_stocktakes(
    session: Session, actor: Actor, *, status: StocktakeStatus | None = None
) -> list[Stocktake]:
    return list(session.scalars(stocktakes_query(actor, status=status)))


# -- the report (PDF and XLSX; both from ``report_lines`` so their numbers agree) -----------------

RESULT_ZH = {
    StocktakeResult.PENDING: "未扫描",
    StocktakeResult.VERIFIED: "账实相符",
    StocktakeResult.MISSING: "缺失（盘亏）",
    StocktakeResult.UNEXPECTED: "账外物品（盘盈）",
    StocktakeResult.CHECKED_OUT: "调用在外（已核对）",
    StocktakeResult.WRONG_LOCATION: "位置不符",
    StocktakeResult.MOVED_OUT: "盘点期间已登记移出",
}
DISCREPANCY_ZH = {DiscrepancyStatus.OPEN: "待处理", DiscrepancyStatus.RESOLVED: "已处理"}
STATUS_ZH = {
    StocktakeStatus.OPEN: "进行中",
    StocktakeStatus.FINISHED: "已完成",
    StocktakeStatus.CANCELLED: "已取消",
}
REPORT_HEADERS = ["标签号", "物品名称", "账面位置", "盘点位置", "盘点结果", "差异处理"]


def _report_header(session: Session, stocktake: Stocktake) -> list[tuple[str, str]]:
    from custody.printing.pdf import format_datetime

    tree = Tree.load(session, stocktake.centre_id)
    return [
        ("盘点单号", stocktake.stocktake_no),
        ("状态", STATUS_ZH[stocktake.status]),
        ("盘点范围", tree.path[stocktake.root_location_id]),
        ("发起人", f"{stocktake.started_by.display_name}（{stocktake.agency.name}）"),
        ("开始时间", format_datetime(stocktake.started_at)),
        ("完成时间", format_datetime(stocktake.finished_at)),
    ]


def _row(line: ReportLine) -> list[str]:
    return [
        line.label_code,
        line.name or "（系统无此标签）",
        line.book_location or "—",
        line.found_location or "—",
        RESULT_ZH[line.result],
        DISCREPANCY_ZH[line.discrepancy_status] if line.discrepancy_status else "",
    ]


def report_pdf(session: Session, stocktake: Stocktake) -> bytes:
    from custody.printing.pdf import Column, Field, PdfDocument

    lines = report_lines(session, stocktake)
    tally = counts(lines)
    pdf = PdfDocument(
        "涉案财物盘点报告",
        subtitle=stocktake.centre.name,
        doc_no=stocktake.stocktake_no,
        footer="本报告由系统根据盘点记录生成，数字与盘点明细一致",
    )
    pdf.fields(
        [Field(label, value, wide=label == "盘点范围") for label, value in _report_header(session, stocktake)]
    )
    pdf.heading("盘点汇总")
    pdf.table(
        [Column("盘点结果", 3), Column("件数", 1, "right")],
        [[RESULT_ZH[StocktakeResult(k)], str(v)] for k, v in tally.items()],
        total=["合计", str(sum(tally.values()))],
    )
    pdf.heading("盘点明细")
    pdf.table(
        [
            Column(REPORT_HEADERS[0], 2.2),
            Column(REPORT_HEADERS[1], 2.2),
            Column(REPORT_HEADERS[2], 3),
            Column(REPORT_HEADERS[3], 3),
            Column(REPORT_HEADERS[4], 1.6),
            Column(REPORT_HEADERS[5], 1.2),
        ],
        [_row(ln) for ln in lines],
    )
    pdf.signatures(["盘点人", "复核人"])
    return pdf.build()


def report_xlsx(session: Session, stocktake: Stocktake) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lines = report_lines(session, stocktake)
    tally = counts(lines)
    workbook = Workbook()
    summary = workbook.worksheets[0]  # a new workbook has one sheet
    summary.title = "汇总"
    for label, value in _report_header(session, stocktake):
        summary.append([label, spreadsheet_text(value)])
    summary.append([])
    summary.append(["盘点结果", "件数"])
    summary.cell(row=summary.max_row, column=1).font = Font(bold=True)
    for key, count in tally.items():
        summary.append([RESULT_ZH[StocktakeResult(key)], count])
    summary.append(["合计", sum(tally.values())])
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 50
    detail = workbook.create_sheet("明细")
    detail.append(REPORT_HEADERS)
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for line in lines:
        detail.append([spreadsheet_text(cell) for cell in _row(line)])
    for column, width in zip("ABCDEF", (20, 24, 40, 40, 18, 10), strict=True):
        detail.column_dimensions[column].width = width
    detail.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
