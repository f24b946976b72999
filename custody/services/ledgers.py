"""台账 — the centre's ledger and each agency's ledger as CSV and XLSX, streamed.

Filtered exactly like the item list (``custody.services.items.items_query`` / ``ItemQuery``, so the
visibility rules are the same), read with ``yield_per`` in batches, and written row by row:

- CSV is a generator of UTF-8 chunks (with a BOM so spreadsheet programs read the Chinese) that the
  view streams as the response;
- XLSX uses openpyxl's write-only workbook (rows go to temporary XML files, not memory) saved into
  an anonymous temporary file that the view streams and that disappears when closed.

Memory stays bounded whatever the number of rows (see bench/export_bench.py). Every export is a
security event (category security, action ``export``) recorded *before* the first byte is sent.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from custody.audit.recorder import record_event
from custody.domain.actor import Actor
from custody.domain.clock import LOCAL_TZ
from custody.domain.enums import (
    CaseStage,
    DispositionKind,
    EventCategory,
    ItemCategory,
    ItemStatus,
    LabelledEnum,
    Measure,
)
from custody.domain.errors import InvalidInput
from custody.domain.i18n import N_
from custody.domain.items import ItemFacts, derive_status
from custody.domain.lifecycle import DispositionRecordStatus
from custody.domain.money import MovementKind
from custody.domain.personal_data import masked
from custody.domain.policy import Action, require
from custody.models.agency import Agency, StorageLocation
from custody.models.case import Case, SeizureList
from custody.models.item import Item
from custody.models.lifecycle import Disposition, DispositionLine
from custody.models.money import MoneyMovement
from custody.orm import utcnow
from custody.text import spreadsheet_text

from .cases import item_value_fen
from .items import ItemQuery, items_query

BATCH = 1000
CSV_CHUNK_ROWS = 500
FORMATS = ("csv", "xlsx")
SCOPES = ("centre", "agency")

HEADERS = [
    "标签号",
    "公安案件编号",
    "检察院案号",
    "法院案号",
    "案件名称",
    "诉讼阶段",
    "扣押清单号",
    "物品名称",
    "类别",
    "数量",
    "单位",
    "规格型号",
    "估值（元）",
    "措施",
    "措施文书号",
    "扣押时间",
    "保管单位",
    "状态",
    "存放位置",
    "入库时间",
    "处置方式",
    "处置日期",
    # The particulars that identify the thing itself (issue 18): a phone's IMEI, a vehicle's plate and VIN.
    "IMEI",
    "车牌号",
    "车架号（VIN）",
    "所有人（已遮蔽）",
    # A cash item paid into the case-money account (issue 13): the bank slip it was paid in with, and
    # the balance now in the case's sub-ledger it went into (the ledger's, not the item's: the money
    # of one case in one account is one balance).
    "存款凭证号",
    "分户账余额（元）",
]
VALUE_COLUMN = HEADERS.index("估值（元）")
BALANCE_COLUMN = HEADERS.index("分户账余额（元）")
MONEY_COLUMNS = (VALUE_COLUMN, BALANCE_COLUMN)
QUANTITY_COLUMN = HEADERS.index("数量")
# The XLSX's column widths, in the order of HEADERS.
COLUMN_WIDTHS: tuple[int, ...] = (20, 26, 22, 22, 24, 10, 22, 24, 12, 8, 6, 16, 14, 8)
COLUMN_WIDTHS += (24, 17, 18, 10, 30, 17, 14, 12, 34, 12, 20, 12, 20, 16)

# The ledger is a Chinese document, whatever the UI language (like the printed forms).
ZH: dict[LabelledEnum, str] = {
    **{
        s: z
        for s, z in zip(
            ItemStatus,
            ("待入库", "在库", "调用出库", "持有人保存", "外部保管", "移交待签收", "待处置", "已处置"),
            strict=True,
        )
    },
    **{
        c: z
        for c, z in zip(
            ItemCategory,
            (
                "现金",
                "银行账户/存款",
                "证券",
                "股权",
                "保险权益",
                "第三方支付账户",
                "虚拟货币",
                "机动车",
                "船舶",
                "手机",
                "电子设备",
                "贵重物品",
                "文书证件票据",
                "不动产",
                "违禁品",
                "一般物品",
            ),
            strict=True,
        )
    },
    **{m: z for m, z in zip(Measure, ("扣押", "查封", "冻结", "登记保存", "调取"), strict=True)},
    **{
        k: z
        for k, z in zip(
            DispositionKind,
            ("发还", "没收上缴国库", "销毁", "移交主管机关", "先行处置（变卖）", "先行发还"),
            strict=True,
        )
    },
    **{s: z for s, z in zip(CaseStage, ("侦查", "审查起诉", "审判", "执行", "结案"), strict=True)},
}


@dataclass(frozen=True)
class LedgerSpec:
    """Which ledger: the centre's (everything the actor may see) or one agency's (its custody)."""

    scope: str = "centre"
    agency_id: int | None = None
    query: ItemQuery = ItemQuery(sort="id")

    def effective_query(self) -> ItemQuery:
        if self.scope == "agency":
            return replace(self.query, custodian=str(self.agency_id))
        return self.query

    def describe(self) -> dict[str, Any]:
        filters = {k: v for k, v in asdict(self.query).items() if v is not None and k != "sort"}
        return {"scope": self.scope, "agency_id": self.agency_id, "filters": filters, "sort": self.query.sort}


def make_spec(actor: Actor, scope: str | None, agency_id: int | None, query: ItemQuery) -> LedgerSpec:
    scope = scope or "centre"
    if scope not in SCOPES:
        raise InvalidInput(N_("Unknown ledger."), fields={"scope": [N_("centre or agency.")]})
    agency_id = (agency_id or actor.agency_id) if scope == "agency" else None
    return LedgerSpec(scope=scope, agency_id=agency_id, query=query)


def _statement(actor: Actor, spec: LedgerSpec) -> Select[*tuple[Any, ...]]:
    stmt = items_query(actor, spec.effective_query())
    # The movement that paid a cash item in: its deposit, or a sale's proceeds (at most one per item).
    paid_in = aliased(MoneyMovement, name="paid_in")
    head = aliased(MoneyMovement, name="ledger_head")
    # The ledger's balance is its last movement's balance_after, read through the unique
    # (ledger_id, seq) index (as services/money.balance does).
    last_balance = (
        select(head.balance_after_fen)
        .where(head.ledger_id == paid_in.ledger_id)
        .order_by(head.seq.desc())
        .limit(1)
        .correlate(paid_in)
        .scalar_subquery()
    )
    # When the item was disposed of: its executed disposition (one at most: a disposed item takes no other).
    disposed_on = (
        select(func.max(Disposition.executed_at))
        .join(DispositionLine, DispositionLine.disposition_id == Disposition.id)
        .where(DispositionLine.item_id == Item.id, Disposition.status == DispositionRecordStatus.EXECUTED)
        .correlate(Item)
        .scalar_subquery()
    )

    return (
        stmt.with_only_columns(
            Item.label_code,
            Case.police_case_no,
            Case.procuratorate_case_no,
            Case.court_case_no,
            Case.title,
            Case.stage,
            SeizureList.list_no,
            Item.name,
            Item.category,
            Item.quantity,
            Item.unit,
            Item.specification,
            item_value_fen().label("value_fen"),
            Item.measure,
            Item.measure_doc_no,
            Item.seized_at,
            Item.custodian_agency_id,
            Item.custody_state,
            Item.location_state,
            Item.disposition_status,
            Item.storage_location_id,
            Item.external_place,
            Item.checked_in_at,
            Item.disposition_kind,
            disposed_on.label("disposed_at"),
            Item.details["imei"].as_string().label("imei"),
            Item.details["imei2"].as_string().label("imei2"),
            Item.details["plate"].as_string().label("plate"),
            Item.details["vin"].as_string().label("vin"),
            Item.owner_name,
            paid_in.reference.label("deposit_reference"),
            last_balance.label("ledger_balance_fen"),
            maintain_column_froms=False,
        )
        .select_from(Item)
        .join(Case, Case.id == Item.case_id)
        .join(SeizureList, SeizureList.id == Item.seizure_list_id)
        .outerjoin(
            paid_in,
            (paid_in.item_id == Item.id) & paid_in.kind.in_((MovementKind.DEPOSIT, MovementKind.PROCEEDS)),
        )
    )


def row_count(session: Session, actor: Actor, spec: LedgerSpec) -> int:
    stmt = items_query(actor, spec.effective_query()).order_by(None).with_only_columns(Item.id)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def title(session: Session, spec: LedgerSpec) -> str:
    if spec.scope == "agency":
        agency = session.get(Agency, spec.agency_id) if spec.agency_id else None
        return f"{agency.name if agency else ''}涉案财物台账"
    return "涉案财物管理中心台账"


def prepare_export(session: Session, actor: Actor, spec: LedgerSpec, fmt: str) -> int:
    """Check the permission and record the export (a security event); returns the row count.
    The view commits this before streaming, so the record exists even if the download breaks."""
    require(actor, Action.EXPORT_LEDGER)
    if fmt not in FORMATS:
        raise InvalidInput(N_("Unknown format."), fields={"format": [N_("csv or xlsx.")]})
    if spec.scope == "agency" and (spec.agency_id is None or session.get(Agency, spec.agency_id) is None):
        raise InvalidInput(N_("Unknown agency."), fields={"agency_id": [N_("Unknown agency.")]})
    count = row_count(session, actor, spec)
    record_event(
        session,
        category=EventCategory.SECURITY,
        action="export",
        actor=actor,
        object_type="ledger",
        object_id=spec.scope,
        data={"format": fmt, "rows": count, **spec.describe()},
    )
    return count


def _local(value: datetime | None) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def _local_date(value: datetime | None) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if value else ""


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _quantity_number(value: Decimal) -> int | Decimal:
    """The quantity as a spreadsheet number: a whole number as int, else the Decimal without trailing zeros."""
    return int(value) if value == value.to_integral_value() else value.normalize()


def _location_paths(session: Session) -> dict[int, str]:
    rows = session.execute(select(StorageLocation.id, StorageLocation.parent_id, StorageLocation.name)).all()
    parent = {r.id: r.parent_id for r in rows}
    names = {r.id: r.name for r in rows}
    paths: dict[int, str] = {}
    for location_id in parent:
        chain, node = [], location_id
        while node is not None:
            chain.append(names[node])
            node = parent.get(node)
        paths[location_id] = "/".join(reversed(chain))
    return paths


def ledger_rows(
    session: Session, actor: Actor, spec: LedgerSpec, *, batch: int = BATCH, money: str = "text"
) -> Iterator[list[Any]]:
    """The ledger's rows (without the header), read from the database ``batch`` rows at a time.

    ``money="text"`` gives 元 as exact text ("1234.50") and the quantity as text ("1.5"); ``"decimal"``
    both as Decimals, for spreadsheets. The value is the estimated value, or for cash registered without
    one the amount counted (``services.cases.item_value_fen``).
    """
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    paths = _location_paths(session)
    result = session.execute(_statement(actor, spec).execution_options(yield_per=batch))

    def amount(fen: int | None) -> Any:
        if fen is None:
            return ""
        if money == "decimal":
            return Decimal(fen) / 100
        return f"{fen // 100}.{fen % 100:02d}"

    for row in result:
        status = derive_status(ItemFacts(row.custody_state, row.location_state, row.disposition_status))
        value = amount(row.value_fen)
        place = paths.get(row.storage_location_id) if row.storage_location_id else (row.external_place or "")
        yield [
            row.label_code,
            row.police_case_no or "",
            row.procuratorate_case_no or "",
            row.court_case_no or "",
            row.title,
            ZH[row.stage],
            row.list_no,
            row.name,
            ZH[row.category],
            _quantity_number(row.quantity) if money == "decimal" else _quantity(row.quantity),
            row.unit,
            row.specification or "",
            value,
            ZH[row.measure],
            row.measure_doc_no or "",
            _local(row.seized_at),
            agencies.get(row.custodian_agency_id, ""),
            ZH[status],
            place,
            _local(row.checked_in_at),
            ZH[row.disposition_kind] if row.disposition_kind else "",
            _local_date(row.disposed_at),
            " / ".join(imei for imei in (row.imei, row.imei2) if imei),
            row.plate or "",
            row.vin or "",
            # A list of many items: personal data masked for everyone, as in every list [DESIGN §8],
            # by the one masking function (domain/personal_data.py); no export carries it in full.
            masked("owner_name", row.owner_name) or "",
            row.deposit_reference or "",
            amount(row.ledger_balance_fen),
        ]


def csv_chunks(rows: Iterator[list[Any]], *, chunk_rows: int = CSV_CHUNK_ROWS) -> Iterator[bytes]:
    """Encode rows as CSV (UTF-8 with BOM), a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(HEADERS)
    pending = 0
    for row in rows:
        writer.writerow([spreadsheet_text(cell) for cell in row])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    rows: Iterator[list[Any]], target: IO[bytes], *, sheet_title: str, about: list[tuple[str, Any]]
) -> None:
    """A write-only workbook: the ledger sheet, then a sheet saying what was exported, by whom, when."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    for index, width in enumerate(COLUMN_WIDTHS):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    written = 0
    for row in rows:
        written += 1
        row = [spreadsheet_text(cell) for cell in row]
        for column in MONEY_COLUMNS:
            if row[column] != "":
                cell = WriteOnlyCell(sheet, value=row[column])
                cell.number_format = "#,##0.00"
                row[column] = cell
        sheet.append(row)
    # An auto-filter on the header row: the user filters by status, category, custodian... in place.
    # (The write-only sheet's extent is known only now; openpyxl writes the filter with the sheet.)
    sheet.auto_filter.ref = f"A1:{_column_letter(len(HEADERS) - 1)}{max(written, 1) + 1}"
    info = workbook.create_sheet("导出说明")
    info.append([sheet_title])
    for label, value in about:
        info.append([label, value])
    workbook.save(target)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def about(
    actor: Actor, spec: LedgerSpec, count: int, *, when: datetime | None = None
) -> list[tuple[str, Any]]:
    described = spec.describe()
    filters = "；".join(
        f"{k}={v.isoformat() if isinstance(v, date) else v}" for k, v in described["filters"].items()
    )
    return [
        ("导出时间", _local(when or utcnow())),
        ("导出人", f"{actor.display_name}（{actor.agency_name}）"),
        ("范围", "中心台账" if spec.scope == "centre" else "单位台账"),
        ("筛选条件", filters or "无"),
        ("条数", count),
        ("个人信息", "所有人姓名已遮蔽（仅保留首尾字）"),
    ]


def xlsx_file(session: Session, actor: Actor, spec: LedgerSpec, count: int) -> IO[bytes]:
    """The workbook in an anonymous temporary file, rewound (deleted when closed)."""
    target = tempfile.TemporaryFile(prefix="ledger-", suffix=".xlsx")  # noqa: SIM115 - the response closes it
    write_xlsx(
        ledger_rows(session, actor, spec, money="decimal"),
        target,
        sheet_title=title(session, spec),
        about=about(actor, spec, count),
    )
    target.seek(0)
    return target


def filename(spec: LedgerSpec, fmt: str, today: date) -> str:
    scope = "centre" if spec.scope == "centre" else f"agency-{spec.agency_id}"
    return f"ledger-{scope}-{today:%Y%m%d}.{fmt}"
