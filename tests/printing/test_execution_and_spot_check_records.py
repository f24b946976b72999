"""处置执行记录 and 抽查记录 (issue 18): the items with their amounts, who received them and the
signature lines; a spot check's draw, results and the inspectors' signatures. Pure: no app."""

from __future__ import annotations

from datetime import UTC, datetime

from custody.printing import (
    ExecutionLine,
    ExecutionRecord,
    SpotCheckLine,
    SpotCheckRecord,
    execution_record_pdf,
    spot_check_record_pdf,
)

from .pdf_helpers import CASE_NO, assert_contains, pages_text


def test_a_sale_execution_record_shows_each_price_the_buyer_and_the_signature_lines():
    record = ExecutionRecord(
        record_no="CZ-PDGA-2026-000012",
        case_no=CASE_NO,
        case_title="张某某诈骗案",
        kind="先行处置（拍卖、变卖）",
        legal_basis="车主书面同意",
        approval="王局长 2026-03-02 10:00 批准",
        agency="浦东新区公安分局",
        executor="张丽",
        executed_at=datetime(2026, 3, 5, 2, 30, tzinfo=UTC),
        receipt_no="成交确认书 A-7",
        receiver="某买受人",
        receiver_role="买受人",
        lot="拍12号",
        proceeds_fen=6_350_050,
        sale=True,
        lines=[
            ExecutionLine("PDGA-2026-000101", "白色轿车", 1, "辆", 8_000_000, 6_350_050, "沪B12345"),
        ],
    )
    [text] = pages_text(execution_record_pdf(record))
    assert_contains(
        text,
        "涉案财物处置执行记录",
        "CZ-PDGA-2026-000012",
        "先行处置（拍卖、变卖）",
        "拍12号",
        "63,500.50",
        "80,000.00",
        "沪B12345",
        "买受人",
        "某买受人",
        "执行人（签名）",
        "见证人（签名）",
        "2026年3月5日10:30",  # Beijing time
    )


def test_a_confiscation_record_shows_a_cash_amount_and_leaves_the_receiver_to_sign():
    record = ExecutionRecord(
        record_no="CZ-PDGA-2026-000013",
        case_no=CASE_NO,
        kind="没收上缴国库",
        receiver_role="接收单位",
        lines=[ExecutionLine("PDGA-2026-000102", "现金", 1, "宗", 1_235_050, None, "")],
    )
    [text] = pages_text(execution_record_pdf(record))
    assert_contains(text, "没收上缴国库", "12,350.50", "接收单位（签名）")
    assert "价款" not in text  # no price column for a confiscation


def test_a_spot_check_record_shows_the_draw_each_result_and_a_line_for_each_inspector():
    record = SpotCheckRecord(
        check_no="CC-2026-000003",
        drawn_at=datetime(2026, 3, 5, 1, 0, tzinfo=UTC),
        drawn_by="审计员",
        agency="浦东新区公安分局",
        scope="保管单位：浦东新区公安分局",
        sample="抽取 2 项 / 候选 8 项",
        seed="a" * 32,
        candidates_sha256="b" * 64,
        status="已完成",
        lines=[
            SpotCheckLine(
                1, "PDGA-2026-000101", "黑色手机", "一号库房 › A架 › 01格", "浦东新区公安分局", "刘明", "相符"
            ),
            SpotCheckLine(
                2, "PDGA-2026-000102", "笔记本电脑", "", "浦东新区公安分局", "郑芳", "未找到", "库位无此物"
            ),
        ],
        inspectors=["刘明", "郑芳"],
    )
    [text] = pages_text(spot_check_record_pdf(record))
    assert_contains(
        text,
        "涉案财物抽查记录",
        "CC-2026-000003",
        "抽取2项/候选8项",
        "a" * 32,
        "相符",
        "未找到",
        "库位无此物",
        "检查人（签名）",
        "刘明",
        "郑芳",
        "保管单位保管员（签名）",
    )
