"""Bulk registration from CSV/XLSX with Chinese headers: all rows or none, with a per-row report."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from custody.domain import clock
from custody.domain import clock as app_clock
from custody.domain.enums import ItemCategory, Measure
from custody.domain.errors import InvalidInput
from custody.extensions import db
from custody.models.case import SeizureList
from custody.services.imports import COLUMNS, ImportRejected, template_csv, template_xlsx
from custody.services.items import SeizureListInput

from ..factories import FILED_DAYS_AGO, open_case
from ..import_helpers import csv_bytes, item_count, run, xlsx_bytes


def seizure_day():
    """The day after ``open_case`` files the case: the seizures on the list happened then."""
    return clock.today() - timedelta(days=FILED_DAYS_AGO - 1)


def good_rows() -> list[list[str]]:
    day = seizure_day().isoformat()
    return [
        ["苹果手机", "手机", "1", "部", "490154203237518", "3999.50", f"{day} 10:30", "陈某", "否", ""],
        ["华为手机", "手机", "1", "部", "356938035643809", "2999", f"{day} 10:35", "陈某", "否", ""],
        ["现金", "现金", "1", "捆", "", "", f"{day} 10:40", "", "否", "12000.00"],
    ]


@pytest.mark.parametrize(("filename", "maker"), [("清单.csv", csv_bytes), ("清单.xlsx", xlsx_bytes)])
def test_a_good_file_registers_every_row_on_one_list(app, filename, maker):
    case = open_case(police_case_no="沪公(浦)立字[2026]9001号")
    result = run(
        case,
        filename,
        maker(good_rows()),
        seizure_list=SeizureListInput(seized_at=app_clock.now(), holder_name="陈某", place="浦东新区某小区"),
    )
    db.session.commit()
    assert [i.name for i in result.items] == ["苹果手机", "华为手机", "现金"]
    assert {i.seizure_list_id for i in result.items} == {result.seizure_list.id}
    phone, _, cash = result.items
    assert phone.category is ItemCategory.PHONE
    assert phone.details["imei"] == "490154203237518"
    assert phone.estimated_value_fen == 399950
    assert phone.measure is Measure.SEIZED
    assert phone.seized_at == clock.local_moment(seizure_day(), 10, 30)  # 10:30 Beijing time, as on the list
    assert cash.details["amount_fen"] == 1_200_000
    assert len({i.label_code for i in result.items}) == 3


def test_one_bad_row_registers_nothing_and_reports_every_bad_row(app):
    case = open_case()
    good = good_rows()
    rows = [
        good[0],
        ["", "手机", "1", "部", "490154203237518", "", "", "", "否", ""],
        ["华为手机", "火箭", "x", "部", "123", "12.345", "昨天", "", "也许", ""],
        good[2],
    ]
    before = item_count()
    with pytest.raises(ImportRejected) as rejected:
        run(case, "清单.csv", csv_bytes(rows))
    db.session.rollback()
    assert item_count() == before
    assert (
        db.session.scalar(select(func.count()).select_from(SeizureList).where(SeizureList.case_id == case.id))
        == 0
    )
    report = rejected.value.extra["rows"]
    assert [r["row"] for r in report] == [3, 4]
    assert "名称" in report[0]["errors"]
    assert set(report[1]["errors"]) == {"类别", "估价（元）", "扣押时间", "权属明确"}


def test_rule_errors_are_reported_by_column(app):
    case = open_case()
    rows = [["苹果手机", "手机", "1", "部", "49015420323751", "", "", "", "否", ""]]  # an IMEI of 14 digits
    with pytest.raises(ImportRejected) as rejected:
        run(case, "清单.xlsx", xlsx_bytes(rows))
    assert rejected.value.extra["rows"][0]["errors"] == {"IMEI": ["An IMEI is 15 digits."]}


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("清单.txt", b"x", "csv"),
        ("清单.csv", b"", "empty"),
        ("清单.csv", csv_bytes([], headers=["名称", "颜色"]), "headers"),
        ("清单.csv", csv_bytes([]), "no item rows"),
        ("清单.xlsx", b"not a zip file", "could not be read"),
        ("清单.csv", "名称,类别\n".encode("gbk") + b"\xff\xfe", "could not be read"),
    ],
)
def test_unreadable_files_are_refused(app, filename, content, fragment):
    with pytest.raises(InvalidInput) as refused:
        run(open_case(), filename, content)
    assert fragment in str(refused.value).lower()


def test_templates_carry_exactly_the_columns_the_importer_reads():
    header = template_csv().decode("utf-8-sig").splitlines()[0].split(",")
    assert header == list(COLUMNS)
    workbook = load_workbook(io.BytesIO(template_xlsx()))
    assert [c.value for c in workbook["扣押清单"][1]] == list(COLUMNS)
    assert "说明" in workbook.sheetnames
