"""Printed forms: Chinese text survives into the PDF, long lists paginate, labels carry QR codes.

Pure tests (no app, no database): build each document from plain data, read the text back with
pypdf and look for what a person would check on paper. Pictures of the pages go to
``test-artifacts/printing/`` when poppler's ``pdftoppm`` is installed.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader

from custody.printing import (
    CheckoutLine,
    CheckoutSlip,
    Column,
    Field,
    Label,
    LabelLayout,
    PdfDocument,
    ReturnLine,
    ReturnList,
    SeizureLine,
    SeizureList,
    Signature,
    TransferLine,
    TransferList,
    checkout_slip_pdf,
    format_datetime,
    format_quantity,
    format_yuan,
    label_sheet_pdf,
    qr_svg,
    return_list_pdf,
    seizure_list_pdf,
    transfer_list_pdf,
    yuan_in_words,
)
from custody.printing.pdf import dark_runs, wrap_chars

from .pdf_helpers import CASE_NO, assert_contains, pages_text

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "printing"


def seizure(lines: int | list[SeizureLine] = 3, **overrides: object) -> SeizureList:
    data = {
        "case_no": CASE_NO,
        "case_title": "张某某等人电信网络诈骗案",
        "holder": "张三",
        "holder_id_no": "3101**********1234",
        "seized_at": datetime(2026, 3, 5, 6, 30, tzinfo=UTC),
        "place": "上海市浦东新区世纪大道100号",
        "officers": ["王建国", "李振华"],
        "list_no": "KY-2026-0001",
        "agency": "浦东公安分局",
        "document_no": "沪公(浦)扣字〔2026〕88号",
        "witness": "赵六",
        "lines": lines
        if isinstance(lines, list)
        else [
            SeizureLine(
                f"PDGA-2026-{i:06d}", f"苹果手机{i}号", Decimal("1.000"), "部", "黑色，屏幕有划痕", ""
            )
            for i in range(1, lines + 1)
        ],
    }
    data.update(overrides)
    return SeizureList(**data)  # type: ignore[arg-type]


# -- the forms -------------------------------------------------------------------------------


def test_seizure_list_prints_the_case_the_lines_and_the_signature_captions():
    pdf = seizure_list_pdf(
        seizure(notes="现场拍照 12 张。<b>不是标签</b> & 符号"), footer="浦东新区涉案财物管理中心"
    )
    [text] = pages_text(pdf)
    assert_contains(
        text,
        "扣押清单",
        "浦东公安分局",
        "KY-2026-0001",
        CASE_NO,
        "张某某等人电信网络诈骗案",
        "张三",
        "2026年3月5日 14:30",  # 06:30 UTC is 14:30 in China
        "上海市浦东新区世纪大道100号",
        "王建国、李振华",
        "PDGA-2026-000001",
        "苹果手机3号",
        "1 部",
        "黑色，屏幕有划痕",
        "共 3 项",
        "办案人员（签名）",
        "持有人（签名）",
        "见证人（签名）",
        "赵六",
        "<b>不是标签</b> & 符号",  # user text is printed, never parsed as markup
        "浦东新区涉案财物管理中心",
        "第 1 页 共 1 页",
    )
    assert "拒绝签名" not in text
    assert "不在场" not in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "扣押清单 KY-2026-0001"


@pytest.mark.parametrize(
    ("status", "expected"), [("absent", "持有人不在场，未签名。"), ("refused", "持有人拒绝签名。")]
)
def test_seizure_list_notes_when_the_holder_did_not_sign(status, expected):
    text = pages_text(seizure_list_pdf(seizure(holder_status=status, holder_note="由见证人赵六见证。")))[0]
    assert_contains(text, expected + "由见证人赵六见证。", "持有人（签名）")


def test_a_long_list_paginates_with_page_numbers_and_repeated_headers():
    pdf = seizure_list_pdf(seizure(lines=120))
    texts = pages_text(pdf)
    total = len(texts)
    assert total >= 4
    for number, text in enumerate(texts, start=1):
        assert_contains(text, f"第 {number} 页 共 {total} 页", "标签号", "特征")  # header row on every page
        if number > 1:
            assert_contains(text, "扣押清单（续）编号：KY-2026-0001")
    everything = "".join(texts)
    for i in range(1, 121):
        assert everything.count(f"PDGA-2026-{i:06d}") == 1
    # Signatures come once, after the last line.
    assert "办案人员（签名）" in texts[-1]
    assert all("办案人员（签名）" not in t for t in texts[:-1])


def test_a_cell_longer_than_a_page_is_split_not_lost():
    features = "背面贴有招财进宝贴纸，" * 400
    pdf = seizure_list_pdf(seizure(lines=[SeizureLine("L-1", "贴纸", 1, "张", features, "尾注")]))
    texts = pages_text(pdf)
    assert len(texts) >= 2
    assert "".join(texts).count("招财进宝") >= 390  # every repetition printed, across pages
    assert_contains(texts[0], "L-1", "贴纸", "尾注")  # the short cells stay on the row's first piece
    assert all(len(text) > 200 for text in texts[:-1])  # no page wasted on repeated headers alone


def test_transfer_list_shows_route_lines_decisions_and_both_signatures():
    data = TransferList(
        transfer_no="YS-2026-0007",
        kind="移送审查起诉",
        from_agency="浦东公安分局",
        to_agency="浦东新区人民检察院",
        case_numbers=[CASE_NO, "沪浦检刑诉〔2026〕56号"],
        case_title="张某某等人电信网络诈骗案",
        sent_at=datetime(2026, 4, 1, 2, 0, tzinfo=UTC),
        lines=[
            TransferLine("PDGA-2026-000001", "苹果手机", 1, "部", "随案移送", True, "accepted"),
            TransferLine(
                "PDGA-2026-000002", "银行卡", 12, "张", "建议没收", False, "rejected", "数量不符，实点11张"
            ),
            TransferLine("PDGA-2026-000003", "现金", Decimal("52300.00"), "元", "建议发还被害人"),
        ],
    )
    [text] = pages_text(transfer_list_pdf(data))
    assert_contains(
        text,
        "涉案财物移送清单",
        "浦东公安分局→浦东新区人民检察院",
        "YS-2026-0007",
        "移送审查起诉",
        f"{CASE_NO}；沪浦检刑诉〔2026〕56号",
        "2026年4月1日 10:00",
        "银行卡",
        "12 张",
        "52300 元",
        "建议没收",
        "凭单移交",
        "实物移交",
        "签收",
        "拒收：数量不符，实点11张",
        "共 3 项，其中凭单移交（实物不动）2 项、实物移交 1 项。签收 1 项，拒收 1 项。",
        "移交人（签名）",
        "接收人（签名）",
        "日期：",
    )


def test_transfer_list_accepts_plain_mappings():
    data = {
        "transfer_no": "YS-1",
        "kind": "提起公诉",
        "from_agency": "检察院",
        "to_agency": "法院",
        "lines": [{"label_code": "L-9", "name": "电脑", "quantity": 1, "unit": "台"}],
    }
    assert_contains(pages_text(transfer_list_pdf(data))[0], "检察院→法院", "L-9", "电脑")
    with pytest.raises(TypeError, match="no field"):
        transfer_list_pdf({**data, "colour": "red"})


def test_checkout_slip_has_purpose_counterparty_due_date_and_a_return_section():
    data = CheckoutSlip(
        slip_no="DY-2026-0002",
        case_no=CASE_NO,
        purpose="鉴定",
        counterparty="刘工",
        counterparty_org="上海市公安局物证鉴定中心",
        due_at=date(2026, 4, 10),
        approver="李振华",
        requester="王建国",
        approved_at=datetime(2026, 4, 2, 1, 0, tzinfo=UTC),
        keeper="张丽",
        lines=[CheckoutLine("PDGA-2026-000001", "苹果手机 iPhone 15", 1, "部", "完好，已封存")],
    )
    [text] = pages_text(checkout_slip_pdf(data))
    assert_contains(
        text,
        "涉案财物调用出库单",
        "DY-2026-0002",
        "鉴定",
        "刘工（上海市公安局物证鉴定中心）",
        "李振华",
        "2026年4月10日",
        "2026年4月2日 09:00",
        "完好，已封存",
        "保管员（出库）（签名）",
        "领用人（签名）",
        "归还登记",
        "归还人（签名）",
        "保管员（入库）（签名）",
    )


def test_return_list_formats_fen_as_yuan_with_the_total_in_words():
    data = ReturnList(
        return_no="FH-2026-0003",
        case_no="A-1",
        owner="买买提·艾力",
        kind="先行发还",
        agent="王五",
        authorisation="授权委托书（2026年3月1日）",
        lines=[
            ReturnLine("X-1", "金项链", 1, "条", 1234550),
            ReturnLine("X-2", "现金", Decimal("5000"), "元", 500000),
            ReturnLine("X-3", "钥匙", 2, "把"),
        ],
    )
    [text] = pages_text(return_list_pdf(data))
    assert_contains(
        text,
        "涉案财物先行发还清单",
        "12,345.50",
        "5,000.00",
        "合计",
        "17,345.50",
        "估价合计：17,345.50 元（人民币壹万柒仟叁佰肆拾伍元伍角整）",
        "代领人（签名）",
        "王五",
        "授权委托书（2026年3月1日）",
        "经办人（签名）",
        "买买提・艾力",  # U+00B7 has no glyph in STSong-Light: printed as the katakana middle dot
    )
    assert "领取人（签名）" not in text
    own = pages_text(return_list_pdf({"return_no": "FH-1", "case_no": "A-1", "owner": "李四"}))[0]
    assert_contains(own, "涉案财物发还清单", "领取人（签名）", "（无）", "人民币零元整")


def test_the_builder_is_reusable_for_other_documents():
    pdf = (
        PdfDocument(
            "涉案财物保管链证明", subtitle="浦东新区涉案财物管理中心", doc_no="ZM-1", footer="仅供核对"
        )
        .fields([("标签号", "L-1"), Field("名称", "手机", wide=True), ("空值", None)], columns=3)
        .heading("保管记录")
        .table(
            [Column("时间", 2), Column("事件", 3), Column("金额", 1, "right")],
            [["2026年3月5日", "扣押", "1.00"]],
            total=["", "合计", "1.00"],
        )
        .table([Column("空表", 1)], [])
        .note("特别说明")
        .paragraph("正文", small=True)
        .spacer(5)
        .signatures([Signature("见证人", date=False, name="赵六"), "保管员"], per_row=3)
        .build()
    )
    [text] = pages_text(pdf)
    assert_contains(
        text,
        "涉案财物保管链证明",
        "保管记录",
        "合计",
        "（无）",
        "特别说明",
        "见证人（签名）",
        "（赵六）",
        "保管员（签名）",
        "仅供核对",
        "第 1 页 共 1 页",
    )


# -- formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "人民币零元整"),
        (5, "人民币伍分"),
        (50, "人民币伍角整"),
        (105, "人民币壹元零伍分"),
        (1000, "人民币壹拾元整"),
        (100500, "人民币壹仟零伍元整"),
        (10000500, "人民币壹拾万零伍元整"),
        (100050000, "人民币壹佰万零伍佰元整"),
        (1234567899, "人民币壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角玖分"),
        (10000000000, "人民币壹亿元整"),
        (10001000000, "人民币壹亿零壹万元整"),
        (10100000000, "人民币壹亿零壹佰万元整"),
        (100000100000, "人民币壹拾亿零壹仟元整"),
        (101010, "人民币壹仟零壹拾元壹角整"),
    ],
)
def test_yuan_in_words(fen, words):
    assert yuan_in_words(fen) == words


def test_yuan_in_words_refuses_negative_amounts():
    with pytest.raises(ValueError):
        yuan_in_words(-1)


def test_small_formatters():
    assert format_yuan(123456789) == "1,234,567.89 元"
    assert format_yuan(-5, suffix="") == "-0.05"
    assert format_yuan(None) == ""
    assert format_quantity(Decimal("2.500"), "千克") == "2.5 千克"
    assert format_quantity(Decimal("1E+1"), "张") == "10 张"
    assert format_quantity(0.1, "克") == "0.1 克"
    assert format_quantity(None, "部") == "部"
    assert format_datetime(datetime(2026, 12, 31, 16, 5, tzinfo=UTC)) == "2027年1月1日 00:05"
    assert format_datetime(datetime(2026, 1, 2, 3, 4)) == "2026年1月2日 03:04"  # naive: taken as is
    assert format_datetime(date(2026, 1, 2)) == "2026年1月2日"
    assert format_datetime(None) == ""
    assert format_datetime("待定") == "待定"


def test_wrap_chars_keeps_to_the_line_budget():
    from custody.printing.pdf import FONT, register_fonts

    register_fonts()
    lines = wrap_chars("苹果手机" * 20, 60, FONT, 8, max_lines=2)
    assert len(lines) == 2
    assert lines[-1].endswith("…")
    assert wrap_chars("现金", 60, FONT, 8, max_lines=2) == ["现金"]


# -- QR codes and labels ---------------------------------------------------------------------


def labels(count: int) -> list[Label]:
    return [Label(f"PDGA-2026-{i:06d}", f"物品{i}号", CASE_NO) for i in range(1, count + 1)]


def test_label_sheet_fills_pages_of_the_layout_and_prints_code_name_and_case():
    layout = LabelLayout()
    pdf = label_sheet_pdf(labels(50), layout=layout)
    texts = pages_text(pdf)
    assert len(texts) == math.ceil(50 / layout.per_page) == 3
    for number, text in enumerate(texts, start=1):
        assert_contains(text, f"第 {number} 页 共 3 页")
    assert texts[0].count("PDGA-2026-") == layout.per_page
    assert texts[2].count("PDGA-2026-") == 50 - 2 * 24
    everything = "".join(texts)
    for label in labels(50):
        assert_contains(everything, label.code, label.name)
    assert "沪公(浦)立字〔2026〕" in everything


def test_label_sheet_truncates_long_names_keeps_long_codes_and_can_skip_used_positions():
    long_name = "苹果手机 iPhone 15 黑色 带保护壳及充电器一套，另附数据线两根、耳机一副"
    items = [Label("X" * 32, long_name, "A-1"), {"code": "PD-1", "name": "现金"}]
    texts = pages_text(label_sheet_pdf(items, layout=LabelLayout(columns=2, rows=2, outline=False), skip=3))
    assert len(texts) == 2  # 3 skipped + 2 labels on 4 positions a page
    assert "X" * 32 in texts[0]
    assert "…" in texts[0]
    assert "耳机一副" not in texts[0]
    assert_contains(texts[1], "PD-1", "现金")


def text_runs(pdf: bytes) -> list[str]:
    """Each piece of text as drawn (one run per line of the page), white space trimmed."""
    runs: list[str] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=lambda text, *_: runs.append(text.strip()) if text.strip() else None)
    return runs


@pytest.mark.parametrize("layout", [LabelLayout(), LabelLayout(columns=4, rows=10)])
def test_a_label_prints_the_case_number_on_one_line(layout):
    """A case number split over two lines ("沪公(浦)立字〔2026〕" / "12345号") is misread: it stays whole,
    in a smaller type when it must."""
    case_numbers = [
        "A-1",
        "沪公(浦)立字〔2026〕12345号",
        "(2026)沪0115刑初12345号",
        "沪公(浦)刑侦立字〔2026〕1234567号",
    ]
    items = [Label(f"PDGA-2026-{n:06d}", "手机", case_no) for n, case_no in enumerate(case_numbers, start=1)]
    runs = text_runs(label_sheet_pdf(items, layout=layout))
    for case_no in case_numbers:
        assert any(case_no in run for run in runs), f"{case_no} split: {runs}"


def test_qr_modules_are_drawn_exactly():
    matrix = segno.make_qr("PDGA-2026-000001", error="m").matrix
    drawn = [[0] * len(matrix) for _ in matrix]
    for row, col, length in dark_runs(matrix):
        for c in range(col, col + length):
            assert drawn[row][c] == 0
            drawn[row][c] = 1
    assert drawn == [list(r) for r in matrix]


def test_qr_svg_is_an_inline_full_size_qr_code():
    svg = qr_svg("PD-1")
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "<title>PD-1</title>" in svg
    assert 'class="qr"' in svg
    assert not segno.make_qr("PD-1", error="m").is_micro  # short codes must not become Micro QR


# -- pictures for a person, and a real decode when the tools exist ----------------------------


def _render(pdf: bytes, name: str, tmp_path: Path, dpi: int = 110) -> list[Path]:
    """PNG pages via poppler's pdftoppm, or skip with the reason."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm not installed (apt-get install poppler-utils poppler-data) — no PNG rendering")
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(source), str(ARTIFACTS / name)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    if "Missing language pack" in result.stderr:
        pytest.skip("poppler-data not installed (apt-get install poppler-data): Chinese would not render")
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def test_forms_render_to_png_for_a_person_to_look_at(tmp_path):
    from PIL import Image

    documents = {
        "seizure-list": seizure_list_pdf(
            seizure(lines=30, holder_status="refused", holder_note="由见证人赵六见证。")
        ),
        "label-sheet": label_sheet_pdf(labels(30)),
    }
    for name, pdf in documents.items():
        for old in ARTIFACTS.glob(f"{name}-*.png"):
            old.unlink()
        pngs = _render(pdf, name, tmp_path)
        assert len(pngs) == len(PdfReader(io.BytesIO(pdf)).pages)
        with Image.open(pngs[0]) as image:
            assert image.size[0] > 800
            dark = sum(image.convert("L").point(lambda v: v < 128 and 255).histogram()[255:])
            assert dark > 5000, "the page rendered (almost) blank"


def test_printed_qr_codes_decode_to_the_label_code(tmp_path):
    if not shutil.which("zbarimg"):
        pytest.skip("zbarimg not installed (apt-get install zbar-tools) — QR decoding not checked")
    codes = ["PDGA-2026-000001", "PD-1", "SA-2026-123456-ABCDEFGHIJKLMNO"]
    for index, code in enumerate(codes):
        pdf = label_sheet_pdf([Label(code, "手机", "A-1")], layout=LabelLayout(columns=1, rows=1))
        [png] = _render(pdf, f"qr-{index}", tmp_path, dpi=150)
        result = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=60
        )
        assert result.stdout.strip() == code, result.stderr
