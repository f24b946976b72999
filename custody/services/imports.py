"""Bulk registration from a seizure list in CSV or XLSX with Chinese headers — all or nothing.

Fraud cases seize thousands of phones and cards: the officer fills in the template and uploads it.
Every row goes through the same ``register_item`` as a single registration; if any row is wrong,
nothing is registered and the answer lists every row's errors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Font
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from sqlalchemy.orm import Session

from custody.domain.actor import Actor
from custody.domain.clock import LOCAL_TZ, local_date
from custody.domain.enums import ItemCategory, Measure
from custody.domain.errors import DomainError, InvalidInput
from custody.domain.i18n import N_
from custody.domain.items import CLOCK_SKEW
from custody.models.case import SeizureList
from custody.models.item import Item
from custody.orm import utcnow

from . import numbers
from .items import (
    ItemInput,
    SeizureListInput,
    create_seizure_list,
    register_on_case,
    registrable_case,
    seizure_list_to_add_to,
)

MAX_ROWS = 10_000
EARLIEST_YEAR, LATEST_YEAR = 1949, 2199  # the years the API accepts too (api.common)
YUAN_DIGITS = 12  # amounts up to 10^13 yuan are read; the registration rules set the real limit

# Template column → (field, required). Detail columns go into the category-specific details.
COLUMNS: dict[str, tuple[str, bool]] = {
    "名称": ("name", True),
    "类别": ("category", True),
    "数量": ("quantity", True),
    "单位": ("unit", True),
    "特征": ("features", False),
    "型号规格": ("specification", False),
    "扣押时状况": ("condition_at_seizure", False),
    "来源": ("source", False),
    "估价（元）": ("estimated_value_fen", False),
    "措施": ("measure", False),
    "措施文书号": ("measure_doc_no", False),
    "扣押时间": ("seized_at", False),
    "所有人": ("owner_name", False),
    "所有人证件号": ("owner_id_no", False),
    "所有人联系方式": ("owner_contact", False),
    "权属明确": ("ownership_clear", False),
    "易腐易贬值": ("is_perishable", False),
    "现金金额（元）": ("details.amount_fen", False),
    "IMEI": ("details.imei", False),
    "品牌型号": ("details.brand_model", False),
    "车牌号": ("details.plate", False),
    "车辆识别代号": ("details.vin", False),
    "开户行": ("details.bank", False),
    "账号": ("details.account_no", False),
    "户名": ("details.account_name", False),
    "序列号": ("details.serial_no", False),
    "地址": ("details.address", False),
    # Every required category-specific field has a column (CATEGORY_FIELDS; a test keeps them in step).
    "开户机构": ("details.institution", False),
    "公司名称": ("details.company", False),
    "保险公司": ("details.insurer", False),
    "保单号": ("details.policy_no", False),
    "船舶登记号": ("details.registry_no", False),
    "支付平台": ("details.platform", False),
    "支付账户": ("details.account_id", False),
    "币种": ("details.currency", False),
    "钱包地址": ("details.wallet_address", False),
    "持有数量": ("details.units", False),
}

CATEGORY_NAMES: dict[str, ItemCategory] = {
    "现金": ItemCategory.CASH,
    "银行账户": ItemCategory.BANK_ACCOUNT,
    "存款": ItemCategory.BANK_ACCOUNT,
    "证券": ItemCategory.SECURITIES,
    "股权": ItemCategory.EQUITY,
    "保险": ItemCategory.INSURANCE,
    "第三方支付账户": ItemCategory.PAYMENT_ACCOUNT,
    "支付宝": ItemCategory.PAYMENT_ACCOUNT,
    "微信支付": ItemCategory.PAYMENT_ACCOUNT,
    "虚拟货币": ItemCategory.VIRTUAL_ASSET,
    "机动车": ItemCategory.VEHICLE,
    "车辆": ItemCategory.VEHICLE,
    "船舶": ItemCategory.VESSEL,
    "手机": ItemCategory.PHONE,
    "电子设备": ItemCategory.ELECTRONICS,
    "贵重物品": ItemCategory.VALUABLES,
    "文书证件": ItemCategory.DOCUMENTS,
    "不动产": ItemCategory.REAL_ESTATE,
    "违禁品": ItemCategory.CONTRABAND,
    "一般物品": ItemCategory.GOODS,
}
MEASURE_NAMES: dict[str, Measure] = {
    "扣押": Measure.SEIZED,
    "查封": Measure.SEALED,
    "冻结": Measure.FROZEN,
    "登记保存": Measure.REGISTERED_KEPT,
    "调取": Measure.OBTAINED,
}
YES = {"是", "y", "yes", "true", "1"}
NO = {"否", "n", "no", "false", "0", ""}


class CellError(ValueError):
    """A cell that cannot be read; ``args[0]`` is the message (an N_ msgid)."""


class ImportRejected(InvalidInput):
    """Some rows are wrong: nothing was registered. ``extra['rows']`` lists each row's errors."""


@dataclass
class ImportResult:
    seizure_list: SeizureList
    items: list[Item]


@dataclass
class Row:
    """One item row of the file: its number as the spreadsheet shows it, and its cells by header."""

    number: int
    cells: dict[str, Any]


def _raw_rows(name: str, content: bytes | IO[bytes]) -> Generator[tuple[int, list[Any]], None, None]:
    """The file's rows one at a time, numbered as the spreadsheet shows them (gaps included).

    Nothing is read ahead: XLSX through openpyxl's read-only (streaming) reader, CSV through an
    incremental UTF-8 decoder, so a caller that stops early never parses the rest of the file."""
    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    if name.endswith(".xlsx"):
        reader = ExcelReader(stream, read_only=True, data_only=True)
        try:
            sheet: Any = _first_worksheet(reader)
            # iter_rows yields every row from row 1, gaps included: its count is the row number.
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(cells)
        finally:
            reader.archive.close()
    elif name.endswith(".csv"):
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        # One record is one spreadsheet row, even with a line break inside a quoted cell.
        for number, values in enumerate(csv.reader(text), start=1):
            yield number, list(values)
    else:
        raise InvalidInput(
            N_("Upload a .csv or .xlsx file made from the template."),
            fields={"file": [N_("Not a CSV or XLSX file.")]},
        )


class _StreamingWorksheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet without its size probe: for a file that declares no dimensions the
    probe parses the whole sheet before the first row is read (a compressed sheet of millions of
    rows would all be parsed before the row limit could refuse it)."""

    def _get_size(self) -> None:
        self.reset_dimensions()  # trust the rows, not the file's declared size


def _first_worksheet(reader: ExcelReader) -> ReadOnlyWorksheet:
    """The workbook's first worksheet, opened for streaming: what ``load_workbook(read_only=True)``
    reads before the sheets (manifest, shared strings, workbook, styles for dates), and no sheet."""
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    for sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in (rel.Type or ""):
            return _StreamingWorksheet(reader.wb, sheet.name, rel.target, reader.shared_strings)
    raise ValueError("no worksheet")


def read_table(
    filename: str, content: bytes | IO[bytes], *, columns: Mapping[str, tuple[str, bool]] = COLUMNS
) -> list[Row]:
    """Rows keyed by the template's Chinese headers; blank rows are skipped but keep their numbers
    (the header is row 1, so a report's row numbers are the ones the user sees in Excel).

    The file is read as a stream and refused as soon as it has more than ``MAX_ROWS`` item rows,
    before the rest is read. Read it before the import's transaction begins (views do): parsing
    a large file must not hold the database's write lock. ``columns``: header → (field, required),
    the seizure-list template's by default (a bank statement's in services.reconciliation)."""
    name = (filename or "").lower()
    rows = _raw_rows(name, content)
    try:
        header = next(rows, None)
        if header is None:
            raise InvalidInput(N_("The file is empty."), fields={"file": [N_("The file is empty.")]})
        headers = _check_headers(header[1], columns)
        table: list[Row] = []
        for number, values in rows:
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            if len(table) >= MAX_ROWS:
                raise InvalidInput(
                    N_("At most 10,000 rows per file; split the list."),
                    fields={"file": [N_("Too many rows.")]},
                )
            table.append(
                Row(number, {h: values[i] if i < len(values) else None for i, h in enumerate(headers) if h})
            )
    except DomainError:
        raise
    except Exception as exc:
        raise InvalidInput(
            N_("The file could not be read; save it again from the template (UTF-8 CSV or XLSX)."),
            fields={"file": [N_("Unreadable file.")]},
        ) from exc
    finally:
        rows.close()
    if not table:
        raise InvalidInput(N_("The file has no item rows."), fields={"file": [N_("No item rows.")]})
    return table


def _check_headers(values: list[Any], columns: Mapping[str, tuple[str, bool]] = COLUMNS) -> list[str]:
    """The file's headers, checked: each known, every required field present (under one of its
    names, where ``columns`` gives a field several), no field twice."""
    headers = [str(h).strip() if h is not None else "" for h in values]
    unknown = [h for h in headers if h and h not in columns]
    present = {columns[h][0] for h in headers if h in columns}
    missing = [h for h, (field, required) in columns.items() if required and field not in present]
    if unknown or missing:
        raise InvalidInput(
            N_("The headers do not match the template (unknown: %(unknown)s; missing: %(missing)s)."),
            fields={"file": [N_("Headers do not match the template.")]},
            unknown="、".join(unknown) or "—",
            missing="、".join(missing) or "—",
        )
    fields = [columns[h][0] for h in headers if h]
    duplicated = list(dict.fromkeys(h for h in headers if h and fields.count(columns[h][0]) > 1))
    if duplicated:
        raise InvalidInput(
            N_("Each column may appear only once; the file repeats: %(headers)s."),
            fields={"file": [N_("Repeated column.")]},
            headers="、".join(duplicated),
        )
    return headers


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets turn long digit strings into numbers
    text = str(value).strip()
    return text or None


def _yuan_to_fen(value: Any) -> int | None:
    """Yuan as written (``3999.50``, ``1,200``) → fen, exactly: no arithmetic on the untrusted
    value (an exponent like ``1e400000000`` would overflow), at most two decimals."""
    text = _text(value)
    if text is None:
        return None
    try:
        yuan = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation as exc:
        raise CellError(N_("Not an amount in yuan.")) from exc
    if not yuan.is_finite():
        raise CellError(N_("Not an amount in yuan."))
    if yuan.is_zero():
        return 0
    if yuan.adjusted() > YUAN_DIGITS:
        raise CellError(N_("Too large."))
    sign, digits, exponent = yuan.as_tuple()
    fen = Decimal((sign, digits, int(exponent) + 2))  # × 100 by moving the point: exact
    if fen != fen.to_integral_value():
        raise CellError(N_("At most two decimal places (fen)."))
    return int(fen)


def _when(value: Any) -> datetime | None:
    if value is None or _text(value) is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = _text(value).replace("/", "-")  # type: ignore[union-attr]
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise CellError(N_("Use the form 2026-11-25 14:30.")) from exc
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:  # also keeps time-zone shifts inside datetime's range
        raise CellError(N_("Out of range."))
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)  # local time on the paper list


def _flag(value: Any) -> bool:
    text = (_text(value) or "").lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError(N_("Write 是 or 否."))


def _category(raw: Any) -> ItemCategory:
    category = _text(raw) or ""
    return CATEGORY_NAMES.get(category) or ItemCategory(category)


def _measure(raw: Any) -> Measure:
    measure = _text(raw)
    return Measure.SEIZED if measure is None else (MEASURE_NAMES.get(measure) or Measure(measure))


# How a cell becomes a field's value; every other column is plain text.
CELL_READERS: dict[str, Callable[[Any], Any]] = {
    "category": _category,
    "measure": _measure,
    "estimated_value_fen": _yuan_to_fen,
    "details.amount_fen": _yuan_to_fen,
    "seized_at": _when,
    "ownership_clear": _flag,
    "is_perishable": _flag,
}


def row_to_input(row: dict[str, Any], seizure_list_id: int) -> ItemInput:
    """One row → ``ItemInput``; shape errors are reported per column, rule errors by ``register_item``."""
    values: dict[str, Any] = {}
    details: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for header, raw in row.items():
        field, required = COLUMNS[header]
        try:
            value = CELL_READERS.get(field, _text)(raw)
        except CellError as exc:
            errors[header] = [exc.args[0]]
            continue
        except (ValueError, ArithmeticError):  # not one of the listed categories or measures
            errors[header] = [N_("Not a valid value.")]
            continue
        if required and value is None:
            errors[header] = [N_("Required.")]
        elif value is not None:
            (details if field.startswith("details.") else values)[field.removeprefix("details.")] = value
    if errors:
        raise InvalidInput(N_("The row has errors."), fields=errors)
    return ItemInput(seizure_list_id=seizure_list_id, details=details or None, **values)


def import_items(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    table: list[Row] | None = None,
    filename: str = "",
    content: bytes | IO[bytes] = b"",
    seizure_list_id: int | None = None,
    seizure_list: SeizureListInput | None = None,
) -> ImportResult:
    """Register every row of the file on one seizure list, or nothing at all.

    ``table`` is the file already read by ``read_table`` (views read it before their transaction
    begins); otherwise ``filename`` and ``content`` are read here."""
    if table is None:
        table = read_table(filename, content)
    case = registrable_case(session, actor, case_id)
    if seizure_list_id is not None:
        target = seizure_list_to_add_to(session, actor, case, seizure_list_id)
    else:
        # The list's time, when not given, is the earliest acceptable row time; a row whose time is
        # wrong (future, before the case was opened) is reported on its own row below.
        now = utcnow()
        row_times = (_safe_when(row.cells) for row in table)
        earliest = min((w for w in row_times if w and _usable_list_time(w, case.filed_on, now)), default=None)
        target = create_seizure_list(
            session, actor, case_id, seizure_list or SeizureListInput(seized_at=earliest or now)
        )
    report: list[dict[str, Any]] = []
    items: list[Item] = []
    labels = numbers.label_codes(session, actor.agency_code, utcnow().year, len(table))
    for row, label in zip(table, labels, strict=True):
        try:
            items.append(
                register_on_case(
                    session,
                    actor,
                    case,
                    row_to_input(row.cells, target.id),
                    label_code=label,
                    checked_list=target,
                )
            )
        except InvalidInput as error:
            report.append(
                {
                    "row": row.number,
                    "message": error.message,
                    "params": error.params,
                    "errors": _by_column(error.fields),
                }
            )
    if report:
        raise ImportRejected(
            N_("%(count)s of %(total)s rows have errors; nothing was registered."),
            code="import.rows_invalid",
            count=len(report),
            total=len(table),
            extra={"rows": report},
        )
    return ImportResult(target, items)


def _usable_list_time(moment: datetime, filed_on: date, now: datetime) -> bool:
    """The seizure-list rule (services.items._new_seizure_list) for a time taken from a row."""
    try:
        return moment <= now + CLOCK_SKEW and local_date(moment) >= filed_on
    except (OverflowError, ValueError):  # a year the time zones cannot shift
        return False


_FIELD_TO_HEADER = {field: header for header, (field, _) in COLUMNS.items()}


def _by_column(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Name errors by the spreadsheet column the user filled in, where there is one."""
    return {_FIELD_TO_HEADER.get(name, name): messages for name, messages in fields.items()}


def _safe_when(row: dict[str, Any]) -> datetime | None:
    try:
        return _when(row.get("扣押时间"))
    except ValueError:
        return None


# -- template -----------------------------------------------------------------------------------

TEMPLATE_NOTES = [
    ("填写说明", ""),
    ("类别", "、".join(CATEGORY_NAMES)),
    ("措施", "、".join(MEASURE_NAMES) + "（不填为扣押）"),
    ("扣押时间", "例：2026-11-25 14:30（北京时间）；不填为本清单的扣押时间"),
    ("估价、现金金额", "单位：元，最多两位小数"),
    ("权属明确、易腐易贬值", "填“是”或“否”"),
    (
        "类别专有字段",
        "手机：IMEI、品牌型号；机动车：车牌号或车辆识别代号；银行账户：开户行、账号（必填）、户名；"
        "证券：开户机构、账号（必填）；股权：公司名称（必填）；保险：保险公司、保单号（必填）；"
        "船舶：船舶登记号（必填）；不动产：地址（必填）；现金：现金金额（元）（必填）",
    ),
]


def template_csv() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(COLUMNS)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]  # a new workbook has one sheet
    sheet.title = "扣押清单"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, header in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = max(10, len(header) * 2 + 4)
    notes = workbook.create_sheet("说明")
    for row in TEMPLATE_NOTES:
        notes.append(list(row))
    notes.append(["必填列", "、".join(h for h, (_, required) in COLUMNS.items() if required)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
