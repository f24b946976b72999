"""Bulk import: row numbers as the spreadsheet shows them, odd cells as row errors, every required
category-specific field in the template, and seizure lists only of one's own agency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from custody.domain.enums import ItemCategory, LocationState
from custody.domain.errors import InvalidInput, PermissionDenied
from custody.domain.items import CATEGORY_FIELDS
from custody.extensions import db
from custody.models.case import SeizureList
from custody.services.imports import COLUMNS, ImportRejected, read_table, template_csv

from ..factories import judge_case, open_case, register
from ..import_helpers import csv_bytes, item_count, run, xlsx_bytes

HEADERS = ["名称", "类别", "数量", "单位", "IMEI", "扣押时间"]
GOOD = ["苹果手机", "手机", "1", "部", "490154203237518", ""]
BAD_IMEI = ["华为手机", "手机", "1", "部", "123", ""]
ZERO = ["纸箱", "一般物品", "0", "个", "", ""]
BLANK = [""] * len(HEADERS)


@pytest.mark.parametrize(("filename", "maker"), [("清单.csv", csv_bytes), ("清单.xlsx", xlsx_bytes)])
def test_reported_rows_are_the_rows_the_user_sees_despite_blank_rows(app, filename, maker):
    # sheet rows: 1 headers, 2 good, 3 blank, 4 bad, 5 good, 6 bad, 7 bad
    rows = [GOOD, BLANK, BAD_IMEI, GOOD, ZERO, BAD_IMEI]
    before = item_count()
    with pytest.raises(ImportRejected) as rejected:
        run(open_case(), filename, maker(rows, headers=HEADERS))
    db.session.rollback()
    assert [r["row"] for r in rejected.value.extra["rows"]] == [4, 6, 7]
    assert item_count() == before


def test_an_xlsx_with_empty_rows_in_between_numbers_rows_as_excel_does(app):
    table = read_table("清单.xlsx", xlsx_bytes([GOOD, [], [None] * 6, GOOD], headers=HEADERS))
    assert [row.number for row in table] == [2, 5]


def test_a_quoted_line_break_does_not_shift_row_numbers(app):
    content = '名称,类别,数量,单位\n"纸箱\n(两层)",一般物品,1,个\n,,,\n纸箱,一般物品,x,个\n'.encode()
    with pytest.raises(ImportRejected) as rejected:
        run(open_case(), "清单.csv", content)
    assert [r["row"] for r in rejected.value.extra["rows"]] == [4]


@pytest.mark.parametrize(
    "when", ["2000-01-01 10:00", "0001-01-01 00:00", "2999-01-01 10:00", "0001-01-01T00:00+14:00"]
)
def test_a_bad_seizure_time_in_a_row_is_that_rows_error(app, when):
    rows = [GOOD, ["纸箱", "一般物品", "1", "个", "", when]]
    case = open_case()
    with pytest.raises(ImportRejected) as rejected:
        run(case, "清单.csv", csv_bytes(rows, headers=HEADERS))
    db.session.rollback()
    [report] = rejected.value.extra["rows"]
    assert report["row"] == 3
    assert set(report["errors"]) == {"扣押时间"}
    assert (
        db.session.scalar(select(func.count()).select_from(SeizureList).where(SeizureList.case_id == case.id))
        == 0
    )


@pytest.mark.parametrize("maker", [csv_bytes, xlsx_bytes])
def test_a_repeated_column_is_refused_by_name(app, maker):
    name = "清单.csv" if maker is csv_bytes else "清单.xlsx"
    with pytest.raises(InvalidInput) as refused:
        run(
            open_case(),
            name,
            maker(
                [["箱子", "一般物品", "1", "个", "盒子"]], headers=["名称", "类别", "数量", "单位", "名称"]
            ),
        )
    assert refused.value.params["headers"] == "名称"
    assert "file" in refused.value.fields
    assert not isinstance(refused.value, ImportRejected)


@pytest.mark.parametrize(
    "value", ["1e400000000", "Infinity", "NaN", "1e-400000000", "1.001", "99999999999999"]
)
def test_odd_amounts_are_row_errors(app, value):
    with pytest.raises(ImportRejected) as rejected:
        run(
            open_case(),
            "清单.csv",
            csv_bytes(
                [["箱子", "一般物品", "1", "个", value]],
                headers=["名称", "类别", "数量", "单位", "估价（元）"],
            ),
        )
    [report] = rejected.value.extra["rows"]
    assert report["row"] == 2
    assert set(report["errors"]) == {"估价（元）"}


def test_amounts_are_converted_exactly(app):
    result = run(
        open_case(),
        "清单.csv",
        csv_bytes(
            [["箱子", "一般物品", "1", "个", "1,234.5"], ["盒子", "一般物品", "1", "个", "1E+3"]],
            headers=["名称", "类别", "数量", "单位", "估价（元）"],
        ),
    )
    assert [i.estimated_value_fen for i in result.items] == [123450, 100000]


def test_an_amount_with_a_hidden_extra_decimal_is_refused(app):
    with pytest.raises(ImportRejected):
        run(
            open_case(),
            "清单.csv",
            csv_bytes(
                [["袋子", "一般物品", "1", "个", "1.000000000000000000000000000001"]],
                headers=["名称", "类别", "数量", "单位", "估价（元）"],
            ),
        )


def test_the_template_has_a_column_for_every_required_category_field():
    mapped = {field for field, _ in COLUMNS.values()}
    for category, spec in CATEGORY_FIELDS.items():
        for name, (required, _check) in spec.items():
            if required:
                assert f"details.{name}" in mapped, (category, name)
    assert all(not header.isascii() or header == "IMEI" for header in COLUMNS)
    assert template_csv().decode("utf-8-sig").splitlines()[0].split(",") == list(COLUMNS)


def test_securities_equity_insurance_and_vessels_import(app):
    headers = [
        "名称",
        "类别",
        "数量",
        "单位",
        "措施",
        "开户机构",
        "账号",
        "公司名称",
        "保险公司",
        "保单号",
        "船舶登记号",
    ]
    rows = [
        ["证券账户", "证券", "1", "个", "冻结", "中信证券上海分公司", "A123456789", "", "", "", ""],
        ["股权", "股权", "1", "份", "冻结", "", "", "上海某某科技有限公司", "", "", ""],
        ["保单", "保险", "1", "份", "冻结", "", "", "", "中国人寿", "P2026001", ""],
        ["渔船", "船舶", "1", "艘", "扣押", "", "", "", "", "", "沪渔12345"],
    ]
    result = run(open_case(), "清单.xlsx", xlsx_bytes(rows, headers=headers))
    securities, equity, insurance, vessel = result.items
    assert securities.category is ItemCategory.SECURITIES
    assert securities.details == {"institution": "中信证券上海分公司", "account_no": "A123456789"}
    assert securities.location_state is LocationState.EXTERNAL
    assert securities.external_place == "中信证券上海分公司"
    assert equity.details == {"company": "上海某某科技有限公司"}
    assert insurance.details == {"insurer": "中国人寿", "policy_no": "P2026001"}
    assert vessel.details == {"registry_no": "沪渔12345"}
    assert vessel.location_state is LocationState.AWAITING_CHECK_IN


def test_importing_onto_another_agencys_seizure_list_is_refused(app):
    case = open_case()
    police_list = register(case).seizure_list_id
    judge_case(case)
    before = item_count()
    with pytest.raises(PermissionDenied):
        from custody.services.imports import import_items

        from ..factories import act

        import_items(
            db.session,
            act("judge"),
            case.id,
            filename="清单.csv",
            seizure_list_id=police_list,
            content=csv_bytes([["纸箱", "一般物品", "1", "个"]], headers=["名称", "类别", "数量", "单位"]),
        )
    db.session.rollback()
    assert item_count() == before
