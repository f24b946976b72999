"""Import files and runs shared by the import tests (CSV and XLSX)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from sqlalchemy import func, select

from custody.extensions import db
from custody.models.item import Item
from custody.services.imports import import_items

from .factories import act

HEADERS = [
    "名称",
    "类别",
    "数量",
    "单位",
    "IMEI",
    "估价（元）",
    "扣押时间",
    "所有人",
    "权属明确",
    "现金金额（元）",
]


def csv_bytes(rows, headers=HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def item_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Item))


def run(case, filename, content, **kwargs):
    return import_items(
        db.session, act("police_officer"), case.id, filename=filename, content=content, **kwargs
    )
