"""PDF documents for printing: one small builder and the concrete forms built with it.

Pure: no Flask, no database. Every function takes plain dataclasses (or mappings with the same
keys) and returns the PDF as bytes; the caller decides what to fill in (masking personal data,
choosing the time zone of pre-formatted strings) and how to serve it.

Chinese text uses reportlab's built-in CID font ``STSong-Light``: the PDF names the font and the
viewer supplies it, so no font file ships with the app (intranet, no downloads) and the PDFs stay
small. Printed forms are Chinese-only documents, whatever the UI language.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal, TypeVar
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
# Label codes are ASCII; a Latin face keeps them compact and unambiguous (0/O, 1/l) on small labels.
CODE_FONT = "Helvetica-Bold"
PAGE_SIZE = A4
MARGIN = 18 * mm
# China has one time zone and no daylight saving: a fixed offset needs no tz database.
CHINA_TZ = timezone(timedelta(hours=8), "CST")
AUTHOR = "涉案财物三方共管"
BLANK = "＿" * 8  # a full-width line to write on, in forms that are filled in by hand

INK = colors.HexColor("#111111")
MUTED = colors.HexColor("#444444")
RULE = colors.HexColor("#333333")
SHADE = colors.HexColor("#e8e8e8")


@functools.cache
def register_fonts() -> str:
    """Register the CID font once per process; returns its name."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    # CID fonts have no bold or italic; map the family onto itself so <b>/<i> never raise.
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return FONT


# -- formatting ------------------------------------------------------------------------------


def format_datetime(value: datetime | date | str | None, *, with_time: bool = True) -> str:
    """``2026年3月5日 14:30`` in China time; strings pass through, ``None`` becomes empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA_TZ)
        text = f"{value.year}年{value.month}月{value.day}日"
        return f"{text} {value:%H:%M}" if with_time else text
    return f"{value.year}年{value.month}月{value.day}日"


def format_quantity(quantity: Decimal | int | float | str | None, unit: str = "") -> str:
    """``Decimal('2.000'), '部'`` → ``2 部`` (no trailing zeros, no exponent)."""
    if quantity is None or quantity == "":
        return unit
    if isinstance(quantity, float):
        quantity = Decimal(str(quantity))
    text = format(quantity.normalize(), "f") if isinstance(quantity, Decimal) else str(quantity)
    return f"{text} {unit}".strip()


def format_yuan(fen: int | None, *, suffix: str = " 元") -> str:
    """Integer fen → ``1,234.50 元`` (exact: no floating point)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{cents:02d}{suffix}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def _four_digits_in_words(group: int) -> str:
    words, zero = "", False
    for position in (3, 2, 1, 0):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(words)  # one 零 for a run of inner zeros; trailing zeros say nothing
            continue
        if zero:
            words += "零"
            zero = False
        words += _DIGITS[digit] + _UNITS[position]
    return words


def yuan_in_words(fen: int) -> str:
    """Integer fen → the amount in capital numerals as written on receipts (大写金额).

    ``123450`` → ``人民币壹仟贰佰叁拾肆元伍角整``; ``105`` → ``人民币壹元零伍分``.
    """
    if fen < 0:
        raise ValueError("amount must not be negative")
    yuan, cents = divmod(int(fen), 100)
    if yuan >= 10**16:
        raise ValueError("amount too large")
    jiao, fen_digit = divmod(cents, 10)
    groups: list[int] = []
    rest = yuan
    while rest:
        rest, group = divmod(rest, 10000)
        groups.append(group)
    words, zero = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero = bool(words)
            continue
        if words and (zero or group < 1000):
            words += "零"
        words += _four_digits_in_words(group) + _SECTIONS[index]
        zero = False
    if words:
        words += "元"
    if jiao == 0 and fen_digit == 0:
        return "人民币" + (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"  # 壹元零伍分
    if fen_digit:
        words += _DIGITS[fen_digit] + "分"
    else:
        words += "整"
    return "人民币" + words


def truncate(text: str, width: float, font: str, size: float, ellipsis: str = "…") -> str:
    """Cut ``text`` so that it fits ``width`` points, ending with an ellipsis when cut."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    room = width - pdfmetrics.stringWidth(ellipsis, font, size)
    kept = ""
    for char in text:
        if pdfmetrics.stringWidth(kept + char, font, size) > room:
            break
        kept += char
    return kept.rstrip() + ellipsis


def wrap_chars(text: str, width: float, font: str, size: float, max_lines: int) -> list[str]:
    """Break ``text`` into at most ``max_lines`` lines by character (fine for Chinese); the last
    line is truncated with an ellipsis when the text does not fit."""
    lines: list[str] = []
    current = ""
    for index, char in enumerate(text):
        if pdfmetrics.stringWidth(current + char, font, size) <= width:
            current += char
            continue
        if len(lines) == max_lines - 1:
            return [*lines, truncate(current + text[index:], width, font, size)]
        lines.append(current.rstrip())
        current = char.lstrip()
    if current:
        lines.append(current)
    return lines


# -- the builder -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One ``label: value`` pair of a header block; ``wide`` gives it a row of its own."""

    label: str
    value: object
    wide: bool = False


@dataclass(frozen=True)
class Column:
    """A table column: heading, relative width and alignment of its cells."""

    heading: str
    width: float = 1.0
    align: Literal["left", "center", "right"] = "left"


@dataclass(frozen=True)
class Signature:
    """A place to sign by hand: ``移交人（签名）：＿＿＿  日期：＿＿年＿月＿日``."""

    role: str
    date: bool = True
    name: str | None = None  # printed under the line when known (who is expected to sign)


def _styles() -> dict[str, ParagraphStyle]:
    font = register_fonts()
    # wordWrap="CJK" lets lines break between any two characters: Chinese has no spaces, and a
    # long label code or IMEI must wrap inside its cell rather than overflow it.
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, textColor=INK, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11.5, textColor=MUTED),
        "subtitle": ParagraphStyle(
            "subtitle",
            parent=base,
            fontSize=11,
            leading=15,
            alignment=TA_CENTER,
            textColor=MUTED,
            spaceAfter=4 * mm,
        ),
        "heading": ParagraphStyle(
            "heading", parent=base, fontSize=11.5, leading=16, spaceBefore=3 * mm, spaceAfter=1.5 * mm
        ),
        "label": ParagraphStyle("label", parent=base, fontSize=9.5, leading=13, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12),
        "cell-center": ParagraphStyle(
            "cell-center", parent=base, fontSize=9, leading=12, alignment=TA_CENTER
        ),
        "cell-right": ParagraphStyle("cell-right", parent=base, fontSize=9, leading=12, alignment=TA_RIGHT),
        "th": ParagraphStyle("th", parent=base, fontSize=9, leading=12, alignment=TA_CENTER),
        "note": ParagraphStyle(
            "note",
            parent=base,
            fontSize=9.5,
            leading=13.5,
            borderColor=RULE,
            borderWidth=0.6,
            # reportlab takes (top, right, bottom, left) here; its stubs only know a single float.
            borderPadding=(2 * mm, 2.5 * mm, 2 * mm, 2.5 * mm),  # type: ignore[arg-type]
            spaceBefore=3 * mm,
            spaceAfter=3 * mm,
            leftIndent=2.5 * mm,
            rightIndent=2.5 * mm,
        ),
        "sign": ParagraphStyle("sign", parent=base, fontSize=10.5, leading=22),
    }


# Dots that STSong-Light's encoding (UniGB-UCS2-H) has no glyph for, drawn as the katakana middle
# dot it does have: 买买提·艾力 must not print as 买买提�艾力.
_UNPRINTABLE = str.maketrans({c: "\u30fb" for c in "\u00b7\u2022\u2027\u2219\u22c5\uff65"})


def printable(text: object) -> str:
    """``text`` as a string that the CID font can draw (``None`` becomes empty)."""
    return "" if text is None else str(text).translate(_UNPRINTABLE)


def _markup(value: object) -> str:
    """Plain text → Paragraph markup: user text must never be read as tags."""
    return escape(printable(value)).replace("\n", "<br/>")


CELL_PADDING = 3
# A table row taller than this is cut into pieces of ROW_PIECE points, so no row is ever taller
# than a page (reportlab cannot place such a row) and little space is lost at page ends.
ROW_CUT_AT = 320
ROW_PIECE = 160


def _cut_tall_row(cells: list[Paragraph], widths: list[float]) -> list[list[Flowable | str]]:
    """One logical row as one or more table rows: long cells continue in the rows below."""
    if max(cell.wrap(width, 10**6)[1] for cell, width in zip(cells, widths, strict=True)) <= ROW_CUT_AT:
        return [list(cells)]
    columns: list[list[Flowable]] = []
    for cell, width in zip(cells, widths, strict=True):
        pieces: list[Flowable] = []
        rest: Flowable = cell
        while rest.wrap(width, 10**6)[1] > ROW_PIECE:
            parts = rest.split(width, ROW_PIECE)
            if len(parts) < 2:  # nothing fits (cannot happen with wrapping text): keep it whole
                break
            pieces.append(parts[0])
            rest = parts[1]
        columns.append([*pieces, rest])
    depth = max(len(pieces) for pieces in columns)
    return [[pieces[i] if i < len(pieces) else "" for pieces in columns] for i in range(depth)]


class _Title(Flowable):
    """The document title, centred; drawn filled and stroked because CID fonts have no bold."""

    def __init__(self, text: str, size: float = 18) -> None:
        super().__init__()
        self.text, self.size = printable(text), size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        natural = pdfmetrics.stringWidth(self.text, FONT, self.size)
        if natural > avail_width:  # shrink a long title rather than run off the page
            self.size = self.size * avail_width / natural
        self.width = avail_width
        return avail_width, self.size * 1.6

    def draw(self) -> None:
        text = self.canv.beginText()
        text.setFont(FONT, self.size)
        text.setTextRenderMode(2)
        self.canv.setLineWidth(self.size / 40)
        self.canv.setStrokeColor(INK)
        self.canv.setFillColor(INK)
        x = (self.width - pdfmetrics.stringWidth(self.text, FONT, self.size)) / 2
        text.setTextOrigin(x, self.size * 0.45)
        text.textOut(self.text)
        self.canv.drawText(text)


class _PagedCanvas(pdfcanvas.Canvas):
    """Draws the running header, footer line and ``第 X 页 共 Y 页`` once the total is known.

    Pages are kept until ``save`` (reportlab's documented two-pass-free way to print a total).
    """

    def __init__(self, *args: Any, title: str, doc_no: str | None, footer: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._running_title, self._doc_no, self._footer = (
            printable(title),
            printable(doc_no),
            printable(footer),
        )

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's own page reset (its NumberedCanvas recipe)

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._furniture(total)
            super().showPage()
        super().save()

    def _furniture(self, total: int) -> None:
        width, height = self._pagesize  # type: ignore[attr-defined]  # set by Canvas.__init__/setPageSize
        number = self.getPageNumber()
        self.saveState()
        self.setFillColor(MUTED)
        if number > 1:  # continuation pages name the document, in case pages get separated
            self.setFont(FONT, 8.5)
            head = f"{self._running_title}（续）"
            if self._doc_no:
                head += f"  编号：{self._doc_no}"
            self.drawString(MARGIN, height - MARGIN + 5 * mm, head)
        if self._footer:
            self.setFont(FONT, 8)
            self.drawCentredString(width / 2, 12 * mm, truncate(self._footer, width - 2 * MARGIN, FONT, 8))
        self.setFont(FONT, 9)
        self.drawCentredString(width / 2, 7 * mm, f"第 {number} 页 共 {total} 页")
        self.restoreState()


class PdfDocument:
    """An A4 portrait document: title, subtitle, header fields, tables, notes and signatures.

    Methods add blocks in order and return the builder, so a form reads top to bottom::

        pdf = PdfDocument("扣押清单", subtitle="浦东公安分局", doc_no="KY-2026-0001")
        pdf.fields([("案件编号", "A-1"), Field("案件名称", "张某盗窃案", wide=True)])
        pdf.table([Column("名称", 3), Column("数量", 1, "right")], [["手机", "2 部"]])
        pdf.signatures(["办案人员", "持有人"])
        data = pdf.build()
    """

    def __init__(
        self,
        title: str,
        *,
        subtitle: str | None = None,
        doc_no: str | None = None,
        footer: str | None = None,
        author: str = AUTHOR,
    ) -> None:
        self.styles = _styles()
        self.title, self.doc_no, self.footer, self.author = title, doc_no, footer, author
        self.story: list[Flowable] = [_Title(title)]
        if subtitle:
            self.story.append(Paragraph(_markup(subtitle), self.styles["subtitle"]))
        else:
            self.story.append(Spacer(1, 3 * mm))

    @property
    def width(self) -> float:
        """The usable width between the margins, in points."""
        return PAGE_SIZE[0] - 2 * MARGIN

    def heading(self, text: str) -> PdfDocument:
        self.story.append(Paragraph(_markup(text), self.styles["heading"]))
        return self

    def paragraph(self, text: str, *, small: bool = False) -> PdfDocument:
        self.story.append(Paragraph(_markup(text), self.styles["small" if small else "body"]))
        return self

    def note(self, text: str) -> PdfDocument:
        """A boxed remark (e.g. why the holder did not sign)."""
        self.story.append(Paragraph(_markup(text), self.styles["note"]))
        return self

    def spacer(self, height_mm: float) -> PdfDocument:
        self.story.append(Spacer(1, height_mm * mm))
        return self

    def fields(self, items: Iterable[Field | tuple[str, object]], *, columns: int = 2) -> PdfDocument:
        """A boxed block of ``label | value`` pairs, ``columns`` pairs per row."""
        label_width = 24 * mm
        value_width = self.width / columns - label_width
        rows: list[list[object]] = []
        spans: list[int] = []  # indices of rows holding one wide field
        pending: list[object] = []

        def flush() -> None:
            if pending:
                rows.append(pending + [""] * (2 * columns - len(pending)))
                pending.clear()

        for item in items:
            entry = item if isinstance(item, Field) else Field(item[0], item[1])
            cells = [
                Paragraph(_markup(entry.label), self.styles["label"]),
                Paragraph(_markup(entry.value), self.styles["body"]),
            ]
            if entry.wide:
                flush()
                spans.append(len(rows))
                rows.append(cells + [""] * (2 * columns - 2))
            else:
                pending.extend(cells)
                if len(pending) == 2 * columns:
                    flush()
        flush()
        if not rows:
            return self
        style: list[Any] = [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ]
        style += [("BACKGROUND", (2 * c, 0), (2 * c, -1), SHADE) for c in range(columns)]
        for row in spans:
            style += [("SPAN", (1, row), (-1, row)), ("BACKGROUND", (2, row), (-1, row), colors.white)]
        widths = [label_width, value_width] * columns
        self.story.append(Table(rows, colWidths=widths, style=TableStyle(style), hAlign="LEFT"))
        self.story.append(Spacer(1, 4 * mm))
        return self

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[object]],
        *,
        total: Sequence[object] | None = None,
        empty_text: str = "（无）",
    ) -> PdfDocument:
        """A ruled table whose header row repeats on every page; long cells wrap, and a row too
        tall for a page continues over several table rows (see ``_cut_tall_row``)."""
        weight = sum(c.width for c in columns)
        widths = [self.width * c.width / weight for c in columns]
        header = [Paragraph(_markup(c.heading), self.styles["th"]) for c in columns]
        cell_style = {
            "left": self.styles["cell"],
            "center": self.styles["cell-center"],
            "right": self.styles["cell-right"],
        }
        body: list[list[Flowable | str]] = []
        ends: list[int] = []  # the last table row of each logical row: where a rule is drawn
        for row in rows:
            cells = [
                Paragraph(_markup(value), cell_style[col.align])
                for col, value in zip(columns, row, strict=True)
            ]
            body.extend(_cut_tall_row(cells, [w - 2 * CELL_PADDING for w in widths]))
            ends.append(len(body))
        style: list[tuple[Any, ...]] = [
            ("BOX", (0, 0), (-1, -1), 0.5, RULE),
            ("LINEAFTER", (0, 0), (-2, -1), 0.5, RULE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]
        style += [("LINEBELOW", (0, end), (-1, end), 0.5, RULE) for end in ends]
        style += [
            ("VALIGN", (0, start + 1), (-1, end), "TOP")  # cut rows read top to bottom
            for start, end in zip([0, *ends], ends, strict=False)
            if end - start > 1
        ]
        if not body:
            body = [[Paragraph(_markup(empty_text), self.styles["cell-center"]), *[""] * (len(columns) - 1)]]
            style.append(("SPAN", (0, 1), (-1, 1)))
        if total is not None:
            body.append(
                [
                    Paragraph(_markup(value), cell_style[col.align])
                    for col, value in zip(columns, total, strict=True)
                ]
            )
            style += [
                ("BACKGROUND", (0, len(body)), (-1, len(body)), SHADE),
                ("LINEABOVE", (0, len(body)), (-1, len(body)), 0.5, RULE),
            ]
        # No splitInRow: reportlab repeats the header rows once more at every in-row split.
        self.story.append(
            Table([header, *body], colWidths=widths, repeatRows=1, style=TableStyle(style), hAlign="LEFT")
        )
        self.story.append(Spacer(1, 3 * mm))
        return self

    def signatures(self, signatures: Sequence[Signature | str], *, per_row: int = 2) -> PdfDocument:
        """Places to sign by hand, ``per_row`` side by side, kept together on one page."""
        if not signatures:
            return self
        cells: list[Paragraph | str] = []
        for item in signatures:
            sign = item if isinstance(item, Signature) else Signature(item)
            text = f"{_markup(sign.role)}（签名）：{BLANK}"
            if sign.name:
                text += f"<br/><font size=8.5 color='#444444'>（{_markup(sign.name)}）</font>"
            if sign.date:
                text += "<br/>日期：＿＿＿＿年＿＿月＿＿日"
            cells.append(Paragraph(text, self.styles["sign"]))
        rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
        rows[-1] += [""] * (per_row - len(rows[-1]))
        table = Table(
            rows,
            colWidths=[self.width / per_row] * per_row,
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5 * mm),
                ]
            ),
        )
        self.story.append(KeepTogether([Spacer(1, 4 * mm), table]))
        return self

    def build(self) -> bytes:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + 4 * mm,
            title=self.title + (f" {self.doc_no}" if self.doc_no else ""),
            author=self.author,
            creator=AUTHOR,
            subject=self.title,
        )
        maker = functools.partial(_PagedCanvas, title=self.title, doc_no=self.doc_no, footer=self.footer)
        doc.build(list(self.story), canvasmaker=maker)
        return buffer.getvalue()


# -- input records ---------------------------------------------------------------------------

T = TypeVar("T")


def _coerce(cls: type[T], value: T | Mapping[str, Any]) -> T:
    """Accept the dataclass itself or a mapping with its field names (e.g. from a view)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(value) - known
        if unknown:
            raise TypeError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
        return cls(**value)
    if is_dataclass(value):
        raise TypeError(f"expected {cls.__name__}, got {type(value).__name__}")
    raise TypeError(f"expected {cls.__name__} or a mapping, got {type(value).__name__}")


Quantity = Decimal | int | float | str | None
When = datetime | date | str | None


@dataclass(frozen=True)
class SeizureLine:
    label_code: str
    name: str
    quantity: Quantity = None
    unit: str = ""
    features: str = ""  # 特征: model, colour, serial numbers, condition
    notes: str = ""
    no: int | None = None  # printed line number; defaults to the position in the list


@dataclass(frozen=True)
class SeizureList:
    """扣押清单. ``holder_status``: ``signed`` (or ``present``), ``absent`` or ``refused``."""

    case_no: str
    case_title: str
    holder: str
    seized_at: When
    place: str
    officers: Sequence[str] = ()
    lines: Sequence[SeizureLine | Mapping[str, Any]] = ()
    list_no: str = ""
    agency: str = ""
    measure: str = "扣押"  # 扣押 / 查封 / 调取 …: also names the document (扣押清单, 查封清单)
    document_no: str = ""  # the decision document (决定书) number
    holder_id_no: str = ""  # print masked unless the form is for the case file
    holder_status: Literal["signed", "present", "absent", "refused"] = "signed"
    holder_note: str = ""  # what happened instead (e.g. who witnessed, why absent)
    witness: str = ""
    notes: str = ""


@dataclass(frozen=True)
class TransferLine:
    label_code: str
    name: str
    quantity: Quantity = None
    unit: str = ""
    proposed_disposition: str = ""  # 拟处理意见: 随案移送, 建议没收, 建议发还 …
    by_record: bool = True  # 凭单移交 (item stays on its shelf) vs 实物移交
    decision: Literal["", "accepted", "rejected"] = ""  # blank: to be filled in by hand
    reason: str = ""  # why a line was rejected
    particulars: str = ""  # IMEI, plate/VIN, serial, where an item kept outside is


@dataclass(frozen=True)
class TransferList:
    """移送清单 / 交接单: one transfer of custody between agencies."""

    transfer_no: str
    kind: str  # 移送审查起诉, 提起公诉, 退回补充侦查 …
    from_agency: str
    to_agency: str
    case_numbers: Sequence[str] = ()  # each authority's own number for the case
    case_title: str = ""
    lines: Sequence[TransferLine | Mapping[str, Any]] = ()
    sent_at: When = None
    decided_at: When = None
    notes: str = ""


@dataclass(frozen=True)
class CheckoutLine:
    label_code: str
    name: str
    quantity: Quantity = None
    unit: str = ""
    condition: str = ""  # condition at release, checked again on return
    notes: str = ""


@dataclass(frozen=True)
class CheckoutSlip:
    """调用出库单: release to a named person for a stated purpose, with a due date."""

    slip_no: str
    case_no: str
    purpose: str  # 审讯, 鉴定, 辨认, 检验, 出庭示证 …
    counterparty: str  # the person who takes the items (often not a system user)
    due_at: When
    approver: str
    lines: Sequence[CheckoutLine | Mapping[str, Any]] = ()
    case_title: str = ""
    counterparty_org: str = ""
    requester: str = ""
    approved_at: When = None
    released_at: When = None
    keeper: str = ""
    notes: str = ""
    approval_opinion: str = ""  # 审批意见: what the approver wrote


@dataclass(frozen=True)
class ReturnLine:
    label_code: str
    name: str
    quantity: Quantity = None
    unit: str = ""
    value_fen: int | None = None  # estimated value in integer fen
    notes: str = ""


@dataclass(frozen=True)
class ReturnList:
    """发还清单: property handed back to its owner or to the owner's written-authorised agent."""

    return_no: str
    case_no: str
    owner: str
    lines: Sequence[ReturnLine | Mapping[str, Any]] = ()
    case_title: str = ""
    kind: str = "发还"  # 发还 (final) or 先行发还 (before trial)
    owner_id_no: str = ""
    agent: str = ""  # 代领人, when someone collects for the owner
    authorisation: str = ""  # the written authorisation (授权委托书) the agent showed
    approval: str = ""  # approving decision / document number
    agency: str = ""
    returned_at: When = None
    notes: str = ""
    approval_opinion: str = ""  # 审批意见: what the approver wrote


@dataclass(frozen=True)
class DestructionRecord:
    """销毁记录: what was destroyed, on what ground, by whom, before which witness."""

    record_no: str
    case_no: str
    lines: Sequence[ReturnLine | Mapping[str, Any]] = ()
    case_title: str = ""
    ground: str = ""  # 判决 / 违禁品 …
    legal_basis: str = ""
    approval: str = ""
    agency: str = ""
    executor: str = ""
    witness: str = ""  # name (and, for an external witness, kind and organisation)
    witness_id_no: str = ""
    destroyed_at: When = None
    receipt_no: str = ""
    notes: str = ""
    approval_opinion: str = ""  # 审批意见: what the approver wrote


@dataclass(frozen=True)
class Label:
    """One QR label: the code (encoded and printed), the item name and the case number."""

    code: str
    name: str = ""
    case_no: str = ""


@dataclass(frozen=True)
class LabelLayout:
    """A grid of labels on A4 (default 3 × 8 = 24, about 65 × 35 mm each)."""

    columns: int = 3
    rows: int = 8
    margin_x_mm: float = 7
    margin_y_mm: float = 12
    gap_x_mm: float = 2.5
    gap_y_mm: float = 0
    outline: bool = True  # light cut guides; turn off for pre-cut label stock

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


# -- the forms -------------------------------------------------------------------------------


def _numbered(lines: Sequence[Any]) -> Iterable[tuple[int, Any]]:
    for position, line in enumerate(lines, start=1):
        yield (line.no if getattr(line, "no", None) else position), line


def seizure_list_pdf(data: SeizureList | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """扣押清单 with signature lines for the officers, the holder and the witness."""
    data = _coerce(SeizureList, data)
    lines = [_coerce(SeizureLine, line) for line in data.lines]
    pdf = PdfDocument(
        f"{data.measure}清单", subtitle=data.agency or None, doc_no=data.list_no or None, footer=footer
    )
    pdf.fields(
        [
            ("清单编号", data.list_no),
            ("案件编号", data.case_no),
            Field("案件名称", data.case_title, wide=True),
            ("持有人", data.holder),
            ("证件号码", data.holder_id_no),
            (f"{data.measure}时间", format_datetime(data.seized_at)),
            ("决定书文号", data.document_no),
            Field(f"{data.measure}地点", data.place, wide=True),
            Field("办案人员", "、".join(data.officers), wide=True),
        ]
    )
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("标签号", 2.1),
            Column("名称", 2.4),
            Column("数量", 1.1, "right"),
            Column("特征", 3.4),
            Column("备注", 1.6),
        ],
        [
            [
                no,
                line.label_code,
                line.name,
                format_quantity(line.quantity, line.unit),
                line.features,
                line.notes,
            ]
            for no, line in _numbered(lines)
        ],
    )
    pdf.paragraph(f"共 {len(lines)} 项。", small=True)
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    if data.holder_status == "absent":
        pdf.note("持有人不在场，未签名。" + (data.holder_note or ""))
    elif data.holder_status == "refused":
        pdf.note("持有人拒绝签名。" + (data.holder_note or ""))
    pdf.paragraph("本清单一式三份：一份交持有人，一份附卷备查，一份交涉案财物管理中心。", small=True)
    pdf.signatures(
        [
            Signature("办案人员"),
            Signature("持有人", name=data.holder or None),
            Signature("见证人", name=data.witness or None),
        ]
    )
    return pdf.build()


_DECISIONS = {"accepted": "签收", "rejected": "拒收", "": ""}


def transfer_list_pdf(data: TransferList | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """移送清单 (交接单) with a decision column and signature lines for 移交人 and 接收人."""
    data = _coerce(TransferList, data)
    lines = [_coerce(TransferLine, line) for line in data.lines]
    pdf = PdfDocument(
        "涉案财物移送清单",
        subtitle=f"{data.from_agency} → {data.to_agency}",
        doc_no=data.transfer_no,
        footer=footer,
    )
    pdf.fields(
        [
            ("移送编号", data.transfer_no),
            ("移送类型", data.kind),
            ("移送单位", data.from_agency),
            ("接收单位", data.to_agency),
            Field("案件编号", "；".join(data.case_numbers), wide=True),
            Field("案件名称", data.case_title, wide=True),
            ("移送时间", format_datetime(data.sent_at)),
            ("签收时间", format_datetime(data.decided_at)),
        ]
    )
    rows = []
    for no, line in _numbered(lines):
        decision = _DECISIONS[line.decision]
        if line.decision == "rejected" and line.reason:
            decision += f"：{line.reason}"
        rows.append(
            [
                no,
                line.label_code,
                f"{line.name}\n{line.particulars}" if line.particulars else line.name,
                format_quantity(line.quantity, line.unit),
                line.proposed_disposition,
                "凭单移交" if line.by_record else "实物移交",
                decision,
            ]
        )
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("标签号", 2.1),
            Column("名称", 2.4),
            Column("数量", 1.1, "right"),
            Column("拟处理意见", 1.8),
            Column("移交方式", 1.2, "center"),
            Column("签收意见", 1.8),
        ],
        rows,
    )
    by_record = sum(1 for line in lines if line.by_record)
    summary = (
        f"共 {len(lines)} 项，其中凭单移交（实物不动）{by_record} 项、实物移交 {len(lines) - by_record} 项。"
    )
    decided = [line.decision for line in lines if line.decision]
    if decided:
        summary += f"签收 {decided.count('accepted')} 项，拒收 {decided.count('rejected')} 项。"
    pdf.paragraph(summary, small=True)
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    pdf.signatures(["移交人", "接收人"])
    return pdf.build()


def checkout_slip_pdf(data: CheckoutSlip | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """调用出库单, with a return section (归还登记) to fill in when the items come back."""
    data = _coerce(CheckoutSlip, data)
    lines = [_coerce(CheckoutLine, line) for line in data.lines]
    pdf = PdfDocument("涉案财物调用出库单", doc_no=data.slip_no, footer=footer)
    counterparty = data.counterparty + (f"（{data.counterparty_org}）" if data.counterparty_org else "")
    pdf.fields(
        [
            ("出库单号", data.slip_no),
            ("案件编号", data.case_no),
            Field("案件名称", data.case_title, wide=True),
            ("调用事由", data.purpose),
            ("领用人", counterparty),
            ("申请人", data.requester),
            ("审批人", data.approver),
            ("审批时间", format_datetime(data.approved_at)),
            Field("审批意见", data.approval_opinion or "—", wide=True),
            ("出库时间", format_datetime(data.released_at)),
            ("应还日期", format_datetime(data.due_at)),
            ("保管员", data.keeper),
        ]
    )
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("标签号", 2.1),
            Column("名称", 2.6),
            Column("数量", 1.1, "right"),
            Column("出库时状况", 2.6),
            Column("备注", 1.6),
        ],
        [
            [
                no,
                line.label_code,
                line.name,
                format_quantity(line.quantity, line.unit),
                line.condition,
                line.notes,
            ]
            for no, line in _numbered(lines)
        ],
    )
    pdf.paragraph(f"共 {len(lines)} 项。调用物品应妥善保管，按期归还；逾期须办理延期审批。", small=True)
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    pdf.signatures(["保管员（出库）", "领用人"])
    pdf.heading("归还登记")
    pdf.fields([("归还时间", ""), ("归还状况", ""), Field("损坏、短少或调换情况", "", wide=True)])
    pdf.signatures(["归还人", "保管员（入库）"])
    return pdf.build()


def return_list_pdf(data: ReturnList | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """发还清单 with values in 元 and the total in capital numerals."""
    data = _coerce(ReturnList, data)
    lines = [_coerce(ReturnLine, line) for line in data.lines]
    pdf = PdfDocument(
        f"涉案财物{data.kind}清单", subtitle=data.agency or None, doc_no=data.return_no, footer=footer
    )
    items: list[Field | tuple[str, object]] = [
        ("清单编号", data.return_no),
        ("案件编号", data.case_no),
        Field("案件名称", data.case_title, wide=True),
        ("所有人", data.owner),
        ("证件号码", data.owner_id_no),
    ]
    if data.agent:
        items += [("代领人", data.agent), ("授权委托", data.authorisation)]
    items += [("批准文书", data.approval), ("发还时间", format_datetime(data.returned_at))]
    if data.approval_opinion:
        items.append(Field("审批意见", data.approval_opinion, wide=True))
    pdf.fields(items)
    total_fen = sum(line.value_fen or 0 for line in lines)
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("标签号", 2.1),
            Column("名称", 2.8),
            Column("数量", 1.1, "right"),
            Column("估价（元）", 1.6, "right"),
            Column("备注", 2.2),
        ],
        [
            [
                no,
                line.label_code,
                line.name,
                format_quantity(line.quantity, line.unit),
                format_yuan(line.value_fen, suffix=""),
                line.notes,
            ]
            for no, line in _numbered(lines)
        ],
        total=["", "合计", f"{len(lines)} 项", "", format_yuan(total_fen, suffix=""), ""],
    )
    pdf.paragraph(f"估价合计：{format_yuan(total_fen)}（{yuan_in_words(total_fen)}）")
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    pdf.paragraph("领取人已当场核对上列财物，数量、状况无误。", small=True)
    receiver = (
        Signature("代领人", name=data.agent) if data.agent else Signature("领取人", name=data.owner or None)
    )
    pdf.signatures([Signature("经办人"), receiver])
    return pdf.build()


def destruction_record_pdf(
    data: DestructionRecord | Mapping[str, Any], *, footer: str | None = None
) -> bytes:
    """销毁记录 with signature lines for the executing keeper and the witness (an external witness
    signs the paper; a user witness also confirmed in the system with their password)."""
    data = _coerce(DestructionRecord, data)
    lines = [_coerce(ReturnLine, line) for line in data.lines]
    pdf = PdfDocument("涉案财物销毁记录", subtitle=data.agency or None, doc_no=data.record_no, footer=footer)
    pdf.fields(
        [
            ("记录编号", data.record_no),
            ("案件编号", data.case_no),
            Field("案件名称", data.case_title, wide=True),
            ("处置依据", data.ground),
            ("法律文书", data.legal_basis),
            Field("批准", data.approval, wide=True),
            Field("审批意见", data.approval_opinion or "—", wide=True),
            ("执行人", data.executor),
            ("执行回单号", data.receipt_no),
            ("见证人", data.witness),
            ("见证人证件号码", data.witness_id_no),
            ("销毁时间", format_datetime(data.destroyed_at)),
        ]
    )
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("标签号", 2.1),
            Column("名称", 3.0),
            Column("数量", 1.2, "right"),
            Column("特征", 3.0),
        ],
        [
            [no, line.label_code, line.name, format_quantity(line.quantity, line.unit), line.notes]
            for no, line in _numbered(lines)
        ],
    )
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    pdf.paragraph("上列财物已在见证人见证下销毁，原物照片和本记录随案备查。", small=True)
    pdf.signatures(
        [Signature("执行人", name=data.executor or None), Signature("见证人", name=data.witness or None)]
    )
    return pdf.build()


@dataclass(frozen=True)
class ExecutionLine:
    label_code: str
    name: str
    quantity: Quantity = None
    unit: str = ""
    value_fen: int | None = None  # the estimated value, or a cash item's amount
    proceeds_fen: int | None = None  # an early sale: this item's part of the price
    notes: str = ""  # IMEI, plate/VIN, serial numbers, where an item kept outside is


@dataclass(frozen=True)
class ExecutionRecord:
    """处置执行记录: a confiscation (没收上缴), hand-over to the competent authority (移交) or early sale
    (先行变卖、拍卖) carried out — the items with their amounts, who received them, and who signs."""

    record_no: str
    case_no: str
    kind: str  # 没收上缴国库 / 移交主管机关 / 先行处置（拍卖、变卖）
    lines: Sequence[ExecutionLine | Mapping[str, Any]] = ()
    case_title: str = ""
    ground: str = ""
    legal_basis: str = ""
    approval: str = ""
    agency: str = ""
    executor: str = ""
    executed_at: When = None
    receipt_no: str = ""  # 执行回单、国库回执、成交确认书
    receiver: str = ""  # who received the items or the money (国库, the authority, the buyer)
    receiver_role: str = "接收人"
    lot: str = ""  # an auction lot's reference
    proceeds_fen: int | None = None  # an early sale's total
    sale: bool = False  # an early sale: the price columns and fields (blank until executed)
    notes: str = ""


def execution_record_pdf(data: ExecutionRecord | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """处置执行记录 with the items, their amounts (and each item's part of a sale price), the receiver,
    and signature lines for the executing keeper, the receiver and a witness."""
    data = _coerce(ExecutionRecord, data)
    lines = [_coerce(ExecutionLine, line) for line in data.lines]
    sale = data.sale or data.proceeds_fen is not None
    pdf = PdfDocument(
        "涉案财物处置执行记录", subtitle=data.agency or None, doc_no=data.record_no, footer=footer
    )
    fields: list[Field | tuple[str, object]] = [
        ("记录编号", data.record_no),
        ("案件编号", data.case_no),
        Field("案件名称", data.case_title, wide=True),
        ("处置方式", data.kind),
        ("处置依据", data.ground),
        Field("法律文书", data.legal_basis, wide=True),
        Field("批准", data.approval, wide=True),
        ("执行人", data.executor),
        ("执行时间", format_datetime(data.executed_at)),
        ("执行回单号", data.receipt_no),
        (data.receiver_role, data.receiver),
    ]
    if sale:
        fields += [("拍卖标的号", data.lot), ("成交价款", format_yuan(data.proceeds_fen))]
    pdf.fields(fields)
    columns = [
        Column("序号", 0.6, "center"),
        Column("标签号", 2.1),
        Column("名称", 2.4),
        Column("数量", 1.0, "right"),
        Column("金额/估价（元）", 1.6, "right"),
    ]
    if sale:
        columns.append(Column("价款（元）", 1.5, "right"))
    columns.append(Column("特征", 2.4))
    rows = []
    for no, line in _numbered(lines):
        row: list[object] = [
            no,
            line.label_code,
            line.name,
            format_quantity(line.quantity, line.unit),
            format_yuan(line.value_fen, suffix=""),
        ]
        if sale:
            row.append(format_yuan(line.proceeds_fen, suffix=""))
        row.append(line.notes)
        rows.append(row)
    pdf.table(columns, rows)
    pdf.paragraph(
        f"共 {len(lines)} 项。上列财物已按批准的处置决定执行，经执行人、{data.receiver_role}当面清点，核对无误。",
        small=True,
    )
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    pdf.signatures(
        [
            Signature("执行人", name=data.executor or None),
            Signature(data.receiver_role, name=data.receiver or None),
            Signature("见证人"),
        ]
    )
    return pdf.build()


@dataclass(frozen=True)
class SpotCheckLine:
    position: int
    label_code: str
    name: str
    place: str = ""  # the storage location, or where an item kept outside is
    custodian: str = ""
    inspector: str = ""
    result: str = ""  # 相符 / 不符 / 未找到 / 待查
    finding: str = ""
    recorded_at: When = None


@dataclass(frozen=True)
class SpotCheckRecord:
    """抽查记录: a random spot check — how it was drawn (so anyone can redo it), each item drawn with
    its inspector, the result and finding, and the signatures of the inspectors and the custodian."""

    check_no: str
    drawn_at: When = None
    drawn_by: str = ""
    agency: str = ""
    scope: str = ""
    sample: str = ""  # 抽取 n 项 / 候选 m 项
    seed: str = ""
    candidates_sha256: str = ""
    status: str = ""
    lines: Sequence[SpotCheckLine | Mapping[str, Any]] = ()
    inspectors: Sequence[str] = ()
    notes: str = ""


def spot_check_record_pdf(data: SpotCheckRecord | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """抽查记录 with a signature line for each inspector and for the custodian's keeper."""
    data = _coerce(SpotCheckRecord, data)
    lines = [_coerce(SpotCheckLine, line) for line in data.lines]
    pdf = PdfDocument("涉案财物抽查记录", subtitle=data.agency or None, doc_no=data.check_no, footer=footer)
    pdf.fields(
        [
            ("抽查编号", data.check_no),
            ("状态", data.status),
            ("抽取时间", format_datetime(data.drawn_at)),
            ("抽取人", data.drawn_by),
            Field("抽查范围", data.scope, wide=True),
            ("样本", data.sample),
            Field("随机种子", data.seed, wide=True),
            Field("候选清单摘要（SHA-256）", data.candidates_sha256, wide=True),
        ]
    )
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("标签号", 2.0),
            Column("名称", 1.8),
            Column("存放位置", 2.2),
            Column("保管单位", 1.5),
            Column("检查人", 1.1),
            Column("结果", 0.9),
            Column("情况说明", 2.0),
        ],
        [
            [
                line.position,
                line.label_code,
                line.name,
                line.place,
                line.custodian,
                line.inspector,
                line.result,
                "，".join(
                    filter(
                        None, [line.finding, format_datetime(line.recorded_at) if line.recorded_at else ""]
                    )
                ),
            ]
            for line in lines
        ],
    )
    pdf.paragraph("样本由系统以记录的随机种子抽取，任何人可据种子和候选清单摘要复核抽取结果。", small=True)
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    pdf.signatures(
        [*(Signature("检查人", name=name) for name in data.inspectors), Signature("保管单位保管员")]
    )
    return pdf.build()


# -- QR codes and label sheets ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckInLine:
    label_code: str
    name: str
    quantity: Quantity = None
    unit: str = ""
    case_no: str = ""
    particulars: str = ""  # IMEI, plate/VIN, serial numbers, a cash amount
    condition: str = ""  # 入库时状况


@dataclass(frozen=True)
class CheckInReceipt:
    """入库交接单: the items one keeper received into storage from the person who handed them over."""

    receipt_no: str
    location: str
    received_at: When = None
    agency: str = ""
    handed_over_by: str = ""  # 移交人
    received_by: str = ""  # 接收人 (the keeper)
    lines: Sequence[CheckInLine | Mapping[str, Any]] = ()
    notes: str = ""


def check_in_receipt_pdf(data: CheckInReceipt | Mapping[str, Any], *, footer: str | None = None) -> bytes:
    """入库交接单 with signature lines for the 移交人 and the 接收人: both count the items together and sign."""
    data = _coerce(CheckInReceipt, data)
    lines = [_coerce(CheckInLine, line) for line in data.lines]
    pdf = PdfDocument(
        "涉案财物入库交接单", subtitle=data.agency or None, doc_no=data.receipt_no, footer=footer
    )
    pdf.fields(
        [
            ("交接单号", data.receipt_no),
            ("入库时间", format_datetime(data.received_at)),
            Field("存放位置", data.location, wide=True),
            ("移交人", data.handed_over_by),
            ("接收人（保管员）", data.received_by),
        ]
    )
    pdf.table(
        [
            Column("序号", 0.6, "center"),
            Column("标签号", 2.1),
            Column("名称", 2.0),
            Column("数量", 1.0, "right"),
            Column("案件编号", 2.0),
            Column("特征", 2.4),
            Column("入库时状况", 1.6),
        ],
        [
            [
                no,
                line.label_code,
                line.name,
                format_quantity(line.quantity, line.unit),
                line.case_no,
                line.particulars,
                line.condition,
            ]
            for no, line in _numbered(lines)
        ],
    )
    pdf.paragraph(f"共 {len(lines)} 项。以上财物经移交人、接收人当面清点，核对无误。", small=True)
    if data.notes:
        pdf.note(f"备注：{data.notes}")
    pdf.signatures(
        [
            Signature("移交人", name=data.handed_over_by or None),
            Signature("接收人", name=data.received_by or None),
        ]
    )
    return pdf.build()


def _qr(code: str) -> segno.QRCode:
    # Always a full QR symbol: segno.make() would pick Micro QR for short codes, which many
    # handheld scanners cannot read. Level M survives a scuffed label.
    return segno.make_qr(code, error="m")


def qr_svg(code: str, *, scale: int = 4, border: int = 4) -> str:
    """An inline ``<svg>`` QR code of ``code`` for on-screen labels (no XML declaration)."""
    return _qr(code).svg_inline(scale=scale, border=border, svgclass="qr", lineclass=None, title=code)


def dark_runs(matrix: Sequence[Sequence[int]]) -> list[tuple[int, int, int]]:
    """``(row, first column, length)`` for each horizontal run of dark modules.

    One rectangle per run instead of per module: fewer drawing operations, and no hairline seams
    between neighbouring modules in viewers that anti-alias each rectangle.
    """
    runs = []
    for row, values in enumerate(matrix):
        start = None
        for col, dark in enumerate([*values, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append((row, start, col - start))
                start = None
    return runs


def draw_qr(canv: pdfcanvas.Canvas, code: str, x: float, y: float, size: float, *, border: int = 4) -> None:
    """Draw the QR code of ``code`` as vector modules in the square at (x, y) of side ``size``."""
    matrix = _qr(code).matrix
    module = size / (len(matrix) + 2 * border)
    top = y + size - border * module
    left = x + border * module
    path = canv.beginPath()
    for row, col, length in dark_runs(matrix):
        path.rect(left + col * module, top - (row + 1) * module, length * module, module)
    canv.saveState()
    canv.setFillColor(colors.black)
    canv.drawPath(path, stroke=0, fill=1)
    canv.restoreState()


def _draw_label(
    canv: pdfcanvas.Canvas, label: Label, x: float, y: float, w: float, h: float, outline: bool
) -> None:
    pad = 2 * mm
    if outline:
        canv.saveState()
        canv.setStrokeColor(colors.HexColor("#bbbbbb"))
        canv.setLineWidth(0.3)
        canv.setDash(2, 2)
        canv.rect(x, y, w, h, stroke=1, fill=0)
        canv.restoreState()
    qr_size = min(h - 2 * pad, w * 0.48)
    draw_qr(canv, label.code, x + pad / 2, y + (h - qr_size) / 2, qr_size, border=2)
    text_x = x + pad / 2 + qr_size + pad / 2
    text_w = x + w - pad - text_x
    top = y + h - pad
    canv.setFillColor(INK)

    # The code is what a person types when a scanner fails: never truncate it, shrink or squeeze it.
    code_size = min(10.0, text_w / pdfmetrics.stringWidth(label.code, CODE_FONT, 1))
    text = canv.beginText()
    text.setFont(CODE_FONT, max(code_size, 5.5))
    if code_size < 5.5:
        text.setHorizScale(100 * text_w / pdfmetrics.stringWidth(label.code, CODE_FONT, 5.5))
    text.setTextOrigin(text_x, top - max(code_size, 5.5))
    text.textOut(label.code)
    canv.drawText(text)

    baseline = top - max(code_size, 5.5) - 3.2 * mm
    canv.setFont(FONT, 8)
    for line in wrap_chars(printable(label.name), text_w, FONT, 8, max_lines=2):
        canv.drawString(text_x, baseline, line)
        baseline -= 10
    if label.case_no:
        _draw_case_no(canv, printable(label.case_no), text_x, y + pad, text_w)


def _draw_case_no(canv: pdfcanvas.Canvas, case_no: str, x: float, bottom: float, width: float) -> None:
    """The case number at the bottom of a label, never split over two lines (沪公(浦)立字〔2026〕 /
    12345号 is misread): after "案号" on the same line when it fits, else on a line of its own below
    "案号", in a smaller type (down to 5 pt, then squeezed) when it must."""
    canv.setFillColor(MUTED)
    whole = f"案号 {case_no}"
    if pdfmetrics.stringWidth(whole, FONT, 7) <= width:
        canv.setFont(FONT, 7)
        canv.drawString(x, bottom, whole)
        return
    canv.setFont(FONT, 7)
    canv.drawString(x, bottom + 8.5, "案号")
    size = max(5.0, min(7.0, width / pdfmetrics.stringWidth(case_no, FONT, 1)))
    text = canv.beginText()
    text.setFont(FONT, size)
    natural = pdfmetrics.stringWidth(case_no, FONT, size)
    if natural > width:
        text.setHorizScale(100 * width / natural)
    text.setTextOrigin(x, bottom)
    text.textOut(case_no)
    canv.drawText(text)


def label_sheet_pdf(
    labels: Sequence[Label | Mapping[str, Any]],
    *,
    layout: LabelLayout | None = None,
    skip: int = 0,
    title: str = "涉案财物标签",
) -> bytes:
    """A4 sheets of QR labels in a grid, filled row by row.

    ``skip`` leaves that many positions empty on the first sheet, to reuse a partly used sheet
    of label stock.
    """
    register_fonts()
    layout = layout or LabelLayout()
    items = [_coerce(Label, label) for label in labels]
    width, height = PAGE_SIZE
    cell_w = (
        width - 2 * layout.margin_x_mm * mm - (layout.columns - 1) * layout.gap_x_mm * mm
    ) / layout.columns
    cell_h = (height - 2 * layout.margin_y_mm * mm - (layout.rows - 1) * layout.gap_y_mm * mm) / layout.rows
    positions = skip + len(items)
    pages = max(1, math.ceil(positions / layout.per_page))

    buffer = io.BytesIO()
    canv = pdfcanvas.Canvas(buffer, pagesize=PAGE_SIZE)
    canv.setTitle(title)
    canv.setAuthor(AUTHOR)
    canv.setCreator(AUTHOR)
    for page in range(pages):
        first = page * layout.per_page
        for slot in range(layout.per_page):
            index = first + slot - skip
            if index < 0 or index >= len(items):
                continue
            row, col = divmod(slot, layout.columns)
            x = layout.margin_x_mm * mm + col * (cell_w + layout.gap_x_mm * mm)
            y = height - layout.margin_y_mm * mm - (row + 1) * cell_h - row * layout.gap_y_mm * mm
            # PDF text state (scaling, render mode) outlives a text block: isolate each label.
            canv.saveState()
            _draw_label(canv, items[index], x, y, cell_w, cell_h, layout.outline)
            canv.restoreState()
        canv.setFont(FONT, 7)
        canv.setFillColor(MUTED)
        canv.drawCentredString(
            width / 2, layout.margin_y_mm * mm / 2 - 1 * mm, f"{title}  第 {page + 1} 页 共 {pages} 页"
        )
        canv.showPage()
    canv.save()
    return buffer.getvalue()


__all__ = [
    "AUTHOR",
    "CHINA_TZ",
    "FONT",
    "CheckInLine",
    "CheckInReceipt",
    "CheckoutLine",
    "CheckoutSlip",
    "Column",
    "Field",
    "Label",
    "LabelLayout",
    "PdfDocument",
    "ReturnLine",
    "ReturnList",
    "SeizureLine",
    "SeizureList",
    "Signature",
    "TransferLine",
    "TransferList",
    "check_in_receipt_pdf",
    "checkout_slip_pdf",
    "dark_runs",
    "draw_qr",
    "format_datetime",
    "format_quantity",
    "format_yuan",
    "label_sheet_pdf",
    "printable",
    "qr_svg",
    "register_fonts",
    "return_list_pdf",
    "seizure_list_pdf",
    "transfer_list_pdf",
    "truncate",
    "wrap_chars",
    "yuan_in_words",
]
