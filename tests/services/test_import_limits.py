"""Bulk import limits: a file of more than 10,000 item rows is refused while it is being read —
before the rest of it is parsed — and no file is parsed while the request holds the database's
write lock (SQLite) or any row lock (PostgreSQL)."""

from __future__ import annotations

import io
import sqlite3
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, text

from custody.domain.errors import InvalidInput
from custody.extensions import db
from custody.models.item import Item
from custody.services import imports
from custody.services.imports import MAX_ROWS, read_table

from ..conftest import csrf_token
from ..factories import open_case
from ..helpers import row_counts
from ..web.ui import client_for

HEADERS = ["名称", "类别", "数量", "单位"]
ROW = ["手机", "手机", "1", "部"]


def _big_xlsx(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADERS)
    for _ in range(rows):
        sheet.append(ROW)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cut_off_tail(xlsx: bytes, keep: float) -> bytes:
    """The same workbook with its sheet's XML cut off part-way: a parser that reads that far fails."""
    source, target = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data[: int(len(data) * keep)]
            out.writestr(info, data)
    return target.getvalue()


def test_an_xlsx_of_more_rows_than_allowed_is_refused_before_the_rest_is_read():
    rows = MAX_ROWS + 2_000
    broken = _cut_off_tail(_big_xlsx(rows), keep=(MAX_ROWS + 1_000) / rows)
    with pytest.raises(InvalidInput) as whole_file:
        read_table("清单.xlsx", _cut_off_tail(_big_xlsx(500), keep=0.9))
    assert whole_file.value.fields["file"] == ["Unreadable file."]  # a broken tail is noticed when read
    with pytest.raises(InvalidInput) as refused:
        read_table("清单.xlsx", broken)
    assert refused.value.fields["file"] == ["Too many rows."]  # ... but this one was never read that far


def test_a_csv_of_more_rows_than_allowed_is_refused_before_the_rest_is_decoded():
    lines = [",".join(HEADERS)] + [",".join(ROW)] * (MAX_ROWS + 2_000)
    content = ("\n".join(lines) + "\n").encode("utf-8") + b"\xff\xfe not utf-8\n"
    with pytest.raises(InvalidInput) as refused:
        read_table("清单.csv", content)
    assert refused.value.fields["file"] == ["Too many rows."]
    assert len(read_table("清单.csv", "\n".join(lines[: MAX_ROWS + 1]).encode())) == MAX_ROWS


def test_the_upload_is_parsed_outside_the_write_transaction(app, monkeypatch, database_url):
    """While the page's import reads the file, another connection can write (SQLite: take the
    write lock at once; PostgreSQL: lock the case's row without waiting)."""
    case = open_case()
    officer = client_for(app, "police_officer")
    token = csrf_token(officer, f"/cases/{case.id}/import")
    real_read_table = imports.read_table
    writers: list[str] = []

    def read_table_and_try_to_write(filename, content):
        if database_url.startswith("sqlite"):
            other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                writers.append("wrote")
            except sqlite3.OperationalError as exc:
                writers.append(f"blocked: {exc}")
            finally:
                other.close()
        else:
            engine = create_engine(database_url)
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '100ms'"))
                conn.execute(text("SELECT id FROM criminal_case WHERE id = :id FOR UPDATE"), {"id": case.id})
                writers.append("wrote")
            engine.dispose()
        return real_read_table(filename, content)

    monkeypatch.setattr(imports, "read_table", read_table_and_try_to_write)
    before = row_counts(Item)
    csv_file = ("\n".join([",".join(HEADERS), ",".join(ROW), ",".join(ROW)]) + "\n").encode("utf-8-sig")
    response = officer.post(
        f"/cases/{case.id}/import",
        data={"file": (io.BytesIO(csv_file), "list.csv"), "seizure_list_id": "0", "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert writers == ["wrote"]
    db.session.expire_all()
    counts = row_counts(Item)
    assert counts[Item.__tablename__] == before[Item.__tablename__] + 2
