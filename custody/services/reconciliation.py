"""Bank-statement reconciliation of a case-money account (涉案款专户对账) [DESIGN].

A keeper imports the bank's statement (CSV or XLSX: date, amount, counterparty, reference); every
row is checked and a file with any bad row is refused whole, each row's errors listed, nothing
stored. The lines are matched at once to the account's movements by reference and signed amount
(custody/domain/reconciliation.py). What stays unmatched on either side is resolved by a keeper
with a reason, or matched by hand to a movement of the same amount. Each import, resolution and
manual match records its audit event in the same transaction.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.clock import local_date
from custody.domain.enums import EventCategory
from custody.domain.errors import Conflict, InvalidInput, NotFound
from custody.domain.i18n import N_
from custody.domain.money import MovementKind
from custody.domain.policy import Action, Relation, require
from custody.domain.reconciliation import (
    LineKey,
    MovementKey,
    Totals,
    check_line_amount,
    check_manual_match,
    check_reason,
    match,
    totals,
)
from custody.models.case import Case
from custody.models.money import (
    BankStatement,
    MoneyAccount,
    MoneyLedger,
    MoneyMovement,
    MovementResolution,
    StatementLine,
)
from custody.orm import utcnow
from custody.printing import ReconciliationItem, ReconciliationReport, reconciliation_report_pdf
from custody.text import spreadsheet_text

from .imports import CellError, ImportRejected, Row, _text, _when, _yuan_to_fen, read_table

# Header → (field, required): the bank's English names and the usual Chinese ones.
STATEMENT_COLUMNS: dict[str, tuple[str, bool]] = {
    "date": ("value_date", True),
    "日期": ("value_date", True),
    "交易日期": ("value_date", True),
    "amount": ("amount", True),
    "金额": ("amount", True),
    "金额（元）": ("amount", True),
    "交易金额": ("amount", True),
    "counterparty": ("counterparty", False),
    "对方户名": ("counterparty", False),
    "对方": ("counterparty", False),
    "reference": ("reference", False),
    "凭证号": ("reference", False),
    "摘要": ("reference", False),
}


def _not_found(what: str) -> NotFound:
    return NotFound(N_("Record not found, or not visible to your agency."), code=f"not_found.{what}")


# -- who may ------------------------------------------------------------------------------------


def reconcilable_account(session: Session, actor: Actor, account_id: int) -> MoneyAccount:
    """One of the actor's agency's accounts (404 for another agency's), and the actor may reconcile."""
    account = session.get(MoneyAccount, account_id) if isinstance(account_id, int) else None
    if account is None or account.agency_id != actor.agency_id:
        raise _not_found("money_account")
    require(actor, Action.RECONCILE_MONEY, {Relation.CUSTODIAN})
    return account


def get_statement(session: Session, actor: Actor, statement_id: int, *, lock: bool = False) -> BankStatement:
    stmt = select(BankStatement).where(BankStatement.id == statement_id)
    if lock:
        stmt = stmt.with_for_update(of=BankStatement).execution_options(populate_existing=True)
    statement = session.scalar(stmt) if isinstance(statement_id, int) else None
    if statement is None or statement.account.agency_id != actor.agency_id:
        raise _not_found("bank_statement")
    require(actor, Action.RECONCILE_MONEY, {Relation.CUSTODIAN})
    return statement


# -- reading the file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementFile:
    filename: str
    sha256: str
    rows: list[Row]


@dataclass(frozen=True)
class ParsedLine:
    row_no: int
    value_date: date
    amount_fen: int
    counterparty: str | None
    reference: str | None


def read_statement(filename: str, content: bytes | IO[bytes]) -> StatementFile:
    """The file's rows (streamed, at most ``MAX_ROWS``, headers checked) and its SHA-256. Read it
    before the import's transaction begins, as item imports are."""
    data = content if isinstance(content, bytes) else content.read()
    rows = read_table(filename, data, columns=STATEMENT_COLUMNS)
    return StatementFile((filename or "").strip()[:200], hashlib.sha256(data).hexdigest(), rows)


def _day(value: Any, today: date) -> date:
    try:
        moment = _when(value)
    except CellError as exc:
        if exc.args[0] == N_("Out of range."):
            raise
        raise CellError(N_("Use the form 2026-11-25.")) from exc
    if moment is None:
        raise CellError(N_("Required."))
    day = moment.date()  # a booking time, where the bank gives one, is local time: its date counts
    if day > today:
        raise CellError(N_("In the future."))
    return day


def parse_row(row: Row, today: date) -> ParsedLine:
    """One statement row → a line; every column's error at once (``InvalidInput`` by column)."""
    cells: dict[str, Any] = {STATEMENT_COLUMNS[h][0]: v for h, v in row.cells.items()}
    headers = {STATEMENT_COLUMNS[h][0]: h for h in row.cells}
    errors: dict[str, list[str]] = {}
    value_date: date | None = None
    amount: int | None = None
    try:
        value_date = _day(cells.get("value_date"), today)
    except CellError as exc:
        errors[headers.get("value_date", "date")] = [exc.args[0]]
    try:
        fen = _yuan_to_fen(cells.get("amount"))
        if fen is None:
            raise CellError(N_("Required."))
        amount = check_line_amount(fen)
    except CellError as exc:
        errors[headers.get("amount", "amount")] = [exc.args[0]]
    except InvalidInput as error:
        errors[headers.get("amount", "amount")] = [error.message]
    texts: dict[str, str | None] = {}
    for field, limit in (("counterparty", 100), ("reference", 64)):
        text = _text(cells.get(field))
        if text is not None and len(text) > limit:
            errors[headers[field]] = [N_("Too long.")]
        texts[field] = text
    if errors or value_date is None or amount is None:
        raise InvalidInput(N_("The row has errors."), fields=errors)
    return ParsedLine(row.number, value_date, amount, texts["counterparty"], texts["reference"])


# -- import and automatic matching --------------------------------------------------------------


def account_movements(account_id: int) -> Any:
    """The account's movements that the bank sees (a transfer with the case moves no money)."""
    return (
        select(MoneyMovement)
        .join(MoneyLedger, MoneyLedger.id == MoneyMovement.ledger_id)
        .where(MoneyLedger.account_id == account_id, MoneyMovement.kind != MovementKind.TRANSFER)
    )


def _matched_ids(session: Session, movement_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(movement_ids), 500):
        chunk = movement_ids[start : start + 500]
        found.update(
            session.scalars(select(StatementLine.movement_id).where(StatementLine.movement_id.in_(chunk)))
        )
    return found


def _candidates(session: Session, account_id: int, references: set[str]) -> list[MoneyMovement]:
    """Movements of the account not matched yet whose reference is one of ``references`` (the
    statement's, trimmed; the domain's comparison then ignores inner spaces and case too)."""
    refs = sorted(references)
    compared = func.upper(func.replace(func.replace(MoneyMovement.reference, " ", ""), "\u3000", ""))
    movements: list[MoneyMovement] = []
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        movements.extend(session.scalars(account_movements(account_id).where(compared.in_(chunk))))
    taken = _matched_ids(session, [m.id for m in movements])
    return [m for m in movements if m.id not in taken]


def _compared(reference: str | None) -> set[str]:
    """The reference as ``_candidates`` compares it in SQL: no spaces, upper case (the domain's
    ``reference_key`` then decides)."""
    joined = "".join((reference or "").split()).upper()
    return {joined} if joined else set()


def import_statement(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    statement_file: StatementFile | None = None,
    filename: str = "",
    content: bytes | IO[bytes] = b"",
) -> BankStatement:
    """Import one bank statement of the account, all rows or none, and match its lines."""
    account = reconcilable_account(session, actor, account_id)
    if statement_file is None:
        statement_file = read_statement(filename, content)
    today = local_date(utcnow())
    parsed: list[ParsedLine] = []
    report: list[dict[str, Any]] = []
    for row in statement_file.rows:
        try:
            parsed.append(parse_row(row, today))
        except InvalidInput as error:
            report.append(
                {"row": row.number, "message": error.message, "params": error.params, "errors": error.fields}
            )
    if report:
        raise ImportRejected(
            N_("%(count)s of %(total)s rows have errors; nothing was imported."),
            code="reconciliation.rows_invalid",
            count=len(report),
            total=len(statement_file.rows),
            extra={"rows": report},
        )
    if session.scalar(
        select(BankStatement.id).where(
            BankStatement.account_id == account.id, BankStatement.sha256 == statement_file.sha256
        )
    ):
        raise Conflict(
            N_("This statement file was already imported for this account."),
            code="reconciliation.duplicate_file",
        )
    statement = BankStatement(
        account_id=account.id,
        filename=statement_file.filename or "statement",
        sha256=statement_file.sha256,
        period_from=min(p.value_date for p in parsed),
        period_to=max(p.value_date for p in parsed),
        line_count=len(parsed),
        credits_fen=sum(p.amount_fen for p in parsed if p.amount_fen > 0),
        debits_fen=-sum(p.amount_fen for p in parsed if p.amount_fen < 0),
        imported_by_id=actor.user_id,
        imported_at=utcnow(),
    )
    session.add(statement)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same file, imported at the same moment by someone else
        raise Conflict(
            N_("This statement file was already imported for this account."),
            code="reconciliation.duplicate_file",
        ) from exc
    references = set().union(*(_compared(p.reference) for p in parsed))
    movements = {m.id: m for m in _candidates(session, account.id, references)}
    pairs = match(
        [LineKey(p.row_no, p.value_date, p.amount_fen, p.reference) for p in parsed],
        [MovementKey(m.id, m.value_date, m.delta_fen, m.reference) for m in movements.values()],
    )
    now = utcnow()
    lines = [
        StatementLine(
            statement_id=statement.id,
            row_no=p.row_no,
            value_date=p.value_date,
            amount_fen=p.amount_fen,
            counterparty=p.counterparty,
            reference=p.reference,
            movement_id=pairs.get(p.row_no),
            matched_at=now if p.row_no in pairs else None,
        )
        for p in parsed
    ]
    session.add_all(lines)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a movement matched by a concurrent import or match
        raise Conflict(
            N_("Another reconciliation matched the same movements at the same time; import again."),
            code="reconciliation.concurrent_match",
        ) from exc
    session.refresh(statement, ["lines"])
    record_event(
        session,
        category=EventCategory.CUSTODY,
        action="reconciliation.import",
        actor=actor,
        object_type="bank_statement",
        object_id=statement.id,
        data={
            "statement_id": statement.id,
            "account_id": account.id,
            "account": account.label,
            "filename": statement.filename,
            "sha256": statement.sha256,
            "period_from": statement.period_from,
            "period_to": statement.period_to,
            "lines": statement.line_count,
            "credits_fen": statement.credits_fen,
            "debits_fen": statement.debits_fen,
            "matched": {str(row_no): movement_id for row_no, movement_id in sorted(pairs.items())},
        },
    )
    return statement


# -- reading a statement ------------------------------------------------------------------------


@dataclass(frozen=True)
class UnmatchedMovement:
    movement: MoneyMovement
    resolution: MovementResolution | None


@dataclass(frozen=True)
class StatementView:
    statement: BankStatement
    matched: list[StatementLine]
    unmatched: list[StatementLine]
    movements: list[UnmatchedMovement]
    totals: Totals
    case_numbers: dict[int, str]


def statements_of(session: Session, actor: Actor, account_id: int) -> list[BankStatement]:
    account = reconcilable_account(session, actor, account_id)
    return list(
        session.scalars(
            select(BankStatement)
            .where(BankStatement.account_id == account.id)
            .order_by(BankStatement.period_to.desc(), BankStatement.id.desc())
        )
    )


def unmatched_movements(session: Session, statement: BankStatement) -> list[UnmatchedMovement]:
    """The account's movements dated within the statement's period that no line of any statement
    matches, each with its resolution for this statement (if resolved)."""
    matched = select(StatementLine.movement_id).where(StatementLine.movement_id.is_not(None))
    movements = list(
        session.scalars(
            account_movements(statement.account_id)
            .where(
                MoneyMovement.value_date >= statement.period_from,
                MoneyMovement.value_date <= statement.period_to,
                MoneyMovement.id.not_in(matched),
            )
            .order_by(MoneyMovement.value_date, MoneyMovement.id)
        )
    )
    resolutions = {
        r.movement_id: r
        for r in session.scalars(
            select(MovementResolution).where(MovementResolution.statement_id == statement.id)
        )
    }
    return [UnmatchedMovement(m, resolutions.get(m.id)) for m in movements]


def statement_view(session: Session, actor: Actor, statement_id: int) -> StatementView:
    statement = get_statement(session, actor, statement_id)
    matched = [line for line in statement.lines if line.movement_id is not None]
    unmatched = [line for line in statement.lines if line.movement_id is None]
    movements = unmatched_movements(session, statement)
    case_ids = {u.movement.case_id for u in movements} | {
        line.movement.case_id for line in matched if line.movement
    }
    numbers = {c.id: c.latest_number for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    return StatementView(
        statement,
        matched,
        unmatched,
        movements,
        totals(
            ((line.amount_fen, line.movement_id is not None) for line in statement.lines),
            (u.movement.delta_fen for u in movements),
        ),
        numbers,
    )


# -- resolving --------------------------------------------------------------------------------


def _line(session: Session, statement: BankStatement, line_id: int) -> StatementLine:
    line = session.scalar(
        select(StatementLine)
        .where(StatementLine.id == line_id, StatementLine.statement_id == statement.id)
        .with_for_update(of=StatementLine)
        .execution_options(populate_existing=True)
    )
    if line is None:
        raise _not_found("statement_line")
    return line


def _ensure_open(line: StatementLine) -> None:
    if line.movement_id is not None:
        raise Conflict(N_("This statement line is already matched."), code="reconciliation.line_matched")
    if line.resolution is not None:
        raise Conflict(N_("This statement line is already resolved."), code="reconciliation.line_resolved")


def _event(
    session: Session, actor: Actor, action: str, statement: BankStatement, reason: str | None, **data: Any
) -> None:
    record_event(
        session,
        category=EventCategory.CUSTODY,
        action=f"reconciliation.{action}",
        actor=actor,
        object_type="bank_statement",
        object_id=statement.id,
        reason=reason,
        data={"statement_id": statement.id, "account_id": statement.account_id, **data},
    )


def resolve_line(
    session: Session, actor: Actor, statement_id: int, line_id: int, *, reason: str | None
) -> StatementLine:
    """A statement line with no movement to match (a bank fee, a credit not ours), resolved with a reason."""
    statement = get_statement(session, actor, statement_id, lock=True)
    line = _line(session, statement, line_id)
    _ensure_open(line)
    text = check_reason(reason)
    line.resolution = text
    line.resolved_by_id = actor.user_id
    line.resolved_at = utcnow()
    session.flush()
    _event(
        session,
        actor,
        "line_resolve",
        statement,
        text,
        line_id=line.id,
        row_no=line.row_no,
        amount_fen=line.amount_fen,
        reference=line.reference,
        resolution=text,
    )
    return line


def match_line(
    session: Session,
    actor: Actor,
    statement_id: int,
    line_id: int,
    *,
    movement_id: int,
    reason: str | None = None,
) -> StatementLine:
    """Match a line to a movement of the account by hand: the amounts must be equal (sign included),
    and the movement not matched to any other line."""
    statement = get_statement(session, actor, statement_id, lock=True)
    line = _line(session, statement, line_id)
    _ensure_open(line)
    movement = (
        session.scalar(account_movements(statement.account_id).where(MoneyMovement.id == movement_id))
        if isinstance(movement_id, int)
        else None
    )
    if movement is None:
        raise InvalidInput(
            N_("Not a movement of this account."),
            fields={"movement_id": [N_("Not a movement of this account.")]},
        )
    if _matched_ids(session, [movement.id]):
        raise Conflict(
            N_("This movement is already matched to a statement line."),
            code="reconciliation.movement_matched",
        )
    check_manual_match(line.amount_fen, movement.delta_fen)
    note = (reason or "").strip() or None
    if note is not None and len(note) > 500:
        raise InvalidInput(N_("The reason is too long."), fields={"reason": [N_("Too long.")]})
    line.movement_id = movement.id
    line.matched_by_id = actor.user_id
    line.matched_at = utcnow()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            N_("This movement is already matched to a statement line."),
            code="reconciliation.movement_matched",
        ) from exc
    _event(
        session,
        actor,
        "line_match",
        statement,
        note,
        line_id=line.id,
        row_no=line.row_no,
        amount_fen=line.amount_fen,
        reference=line.reference,
        movement_id=movement.id,
        movement_reference=movement.reference,
        case_id=movement.case_id,
    )
    return line


def resolve_movement(
    session: Session, actor: Actor, statement_id: int, movement_id: int, *, reason: str | None
) -> MovementResolution:
    """A movement of the account the statement does not show, resolved for this statement with a reason."""
    statement = get_statement(session, actor, statement_id, lock=True)
    listed = {u.movement.id: u for u in unmatched_movements(session, statement)}
    entry = listed.get(movement_id) if isinstance(movement_id, int) else None
    if entry is None:
        raise _not_found("money_movement")
    if entry.resolution is not None:
        raise Conflict(N_("This movement is already resolved."), code="reconciliation.movement_resolved")
    text = check_reason(reason)
    resolution = MovementResolution(
        statement_id=statement.id,
        movement_id=entry.movement.id,
        reason=text,
        resolved_by_id=actor.user_id,
        resolved_at=utcnow(),
    )
    session.add(resolution)
    session.flush()
    _event(
        session,
        actor,
        "movement_resolve",
        statement,
        text,
        movement_id=entry.movement.id,
        case_id=entry.movement.case_id,
        delta_fen=entry.movement.delta_fen,
        reference=entry.movement.reference,
        resolution=text,
    )
    return resolution


# -- the report ---------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


REPORT_HEADERS = ["方", "日期", "金额（元）", "凭证号", "对方户名 / 案件", "处理说明"]


def report_xlsx(view: StatementView) -> bytes:
    """The reconciliation report as XLSX: a summary sheet and the unmatched items with their resolutions."""
    statement, t = view.statement, view.totals
    workbook = Workbook()
    summary = workbook.worksheets[0]
    summary.title = "汇总"
    for label, value in (
        ("专户", f"{statement.account.label}（{statement.account.account_name}）"),
        ("对账期间", f"{statement.period_from.isoformat()} 至 {statement.period_to.isoformat()}"),
        ("对账单文件", statement.filename),
        ("对账单笔数", t.lines),
        ("对账单收入合计（元）", yuan(t.credits_fen)),
        ("对账单支出合计（元）", yuan(t.debits_fen)),
        ("已核对（笔/元）", f"{t.matched_lines} / {yuan(t.matched_fen)}"),
        ("银行有、账上无（笔/元）", f"{t.unmatched_lines} / {yuan(t.unmatched_lines_fen)}"),
        ("账上有、银行无（笔/元）", f"{t.unmatched_movements} / {yuan(t.unmatched_movements_fen)}"),
    ):
        summary.append([label, spreadsheet_text(value)])
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = 60
    detail = workbook.create_sheet("未达账项")
    detail.append(REPORT_HEADERS)
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for side, day, fen, reference, other, resolution in report_rows(view):
        detail.append(
            [side, day, Decimal(fen).scaleb(-2)]
            + [spreadsheet_text(t) for t in (reference, other, resolution)]
        )
        detail.cell(row=detail.max_row, column=3).number_format = "#,##0.00"
    for column, width in zip("ABCDEF", (14, 12, 16, 24, 30, 50), strict=True):
        detail.column_dimensions[column].width = width
    detail.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_rows(view: StatementView) -> list[tuple[str, str, int, str, str, str]]:
    """Each unmatched item, either side, with its resolution ("未处理" when still open): (side,
    date, signed amount in 分, reference, counterparty or case number, resolution)."""
    rows = [
        (
            "银行有、账上无",
            line.value_date.isoformat(),
            line.amount_fen,
            line.reference or "",
            line.counterparty or "",
            line.resolution or "未处理",
        )
        for line in view.unmatched
    ]
    rows.extend(
        (
            "账上有、银行无",
            u.movement.value_date.isoformat(),
            u.movement.delta_fen,
            u.movement.reference or "",
            view.case_numbers.get(u.movement.case_id, ""),
            u.resolution.reason if u.resolution else "未处理",
        )
        for u in view.movements
    )
    return rows


def report_data(view: StatementView, *, agency: str) -> ReconciliationReport:
    """The printed report's data (custody/printing): the account, the period, the totals, each
    unmatched item with its resolution."""
    statement, t = view.statement, view.totals
    return ReconciliationReport(
        account=statement.account.label,
        account_name=statement.account.account_name,
        period_from=statement.period_from,
        period_to=statement.period_to,
        filename=statement.filename,
        lines=t.lines,
        credits_fen=t.credits_fen,
        debits_fen=t.debits_fen,
        matched_lines=t.matched_lines,
        matched_fen=t.matched_fen,
        unmatched_lines=t.unmatched_lines,
        unmatched_lines_fen=t.unmatched_lines_fen,
        unmatched_movements=t.unmatched_movements,
        unmatched_movements_fen=t.unmatched_movements_fen,
        items=[ReconciliationItem(*row) for row in report_rows(view)],
        agency=agency,
        printed_at=utcnow(),
    )


def report_pdf(view: StatementView, *, agency: str, footer: str | None = None) -> bytes:
    return reconciliation_report_pdf(report_data(view, agency=agency), footer=footer)
