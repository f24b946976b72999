"""The bank-reconciliation pages (issue 13) through the test client: a refused file lists each row's
errors readably and stores nothing; a good one opens the statement with its three lists; a line is
resolved with a reason; the report downloads as PDF and XLSX."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from custody.domain.clock import local_date
from custody.extensions import db
from custody.models.money import BankStatement, MoneyMovement, StatementLine

from ..factories import open_case
from ..helpers import fresh, row_counts
from ..money_helpers import account, cash, deposit
from .ui import client_for, post, text, zh


def test_a_keeper_reconciles_a_statement_on_the_pages(app, now):
    case = open_case()
    deposit(cash(case, 100_000, name="现金一"), slip_no="A-1")
    deposit(cash(case, 2_000, name="现金二"), slip_no="A-2")
    acct = account("PDGA")
    day = local_date(now).isoformat()
    keeper = client_for(app, "police_keeper")
    assert zh("Bank reconciliation") in text(keeper.get(f"/cases/{case.id}/money"))
    index = keeper.get("/money/reconciliation")
    assert index.status_code == 200
    assert acct.account_name in text(index)
    prefix = f"statement-{acct.id}"

    bad = f"date,amount,counterparty,reference\n{day},1000.00,张三,A-1\n{day},0.001,李四,A-2\n"
    refused = post(
        keeper,
        f"/money/accounts/{acct.id}/statements",
        {f"{prefix}-file": (io.BytesIO(bad.encode()), "bad.csv"), f"{prefix}-submit": "1"},
        form_page="/money/reconciliation",
        content_type="multipart/form-data",
    )
    page = text(refused)
    assert refused.status_code == 422
    assert zh("Nothing was imported. Correct these rows in the file and upload it again.") in page
    assert zh("At most two decimal places (fen).") in page
    assert " 3 amount " in page
    assert row_counts(BankStatement, StatementLine) == {"bank_statement": 0, "statement_line": 0}

    good = f"date,amount,counterparty,reference\n{day},1000.00,张三,A-1\n{day},-3.50,银行,手续费\n{day},20.00,李四,现金存入\n"
    imported = post(
        keeper,
        f"/money/accounts/{acct.id}/statements",
        {f"{prefix}-file": (io.BytesIO(good.encode()), "good.csv"), f"{prefix}-submit": "1"},
        form_page="/money/reconciliation",
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302, text(imported)[:800]
    path = imported.location
    page = text(keeper.get(path))
    for heading in ("Statement lines without a movement", "Movements the statement does not show", "Matched"):
        assert zh(heading) in page
    assert "手续费" in page
    assert "A-2" in page

    statement_id = int(path.rstrip("/").rsplit("/", 1)[-1])
    fresh()
    line_id = db.session.scalar(select(StatementLine.id).where(StatementLine.amount_fen == -350))
    deposit_line = db.session.scalar(select(StatementLine.id).where(StatementLine.amount_fen == 2_000))
    movement_id = db.session.scalar(select(MoneyMovement.id).where(MoneyMovement.reference == "A-2"))
    key = f"resolve-line-{line_id}"
    action = f"/money/statements/{statement_id}/lines/{line_id}/resolve"
    short = post(keeper, action, {f"{key}-reason": "。。。", f"{key}-submit": "1"}, form_page=path)
    assert short.status_code == 422
    assert zh("Give a real reason.") in text(short)
    done = post(keeper, action, {f"{key}-reason": "银行收取的手续费", f"{key}-submit": "1"}, form_page=path)
    assert done.status_code == 302
    assert "银行收取的手续费" in text(keeper.get(path))
    key = f"match-line-{deposit_line}"
    matched = post(
        keeper,
        f"/money/statements/{statement_id}/lines/{deposit_line}/match",
        {f"{key}-movement_id": str(movement_id), f"{key}-reason": "摘要未写凭条号", f"{key}-submit": "1"},
        form_page=path,
    )
    assert matched.status_code == 302, text(matched)[:800]
    page = text(keeper.get(path))
    assert zh("by hand") in page
    assert zh("Every movement of the period is on the statement.") in page

    pdf = keeper.get(f"/money/statements/{statement_id}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    words = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "涉案款专户对账报告" in words
    assert "银行收取的手续费" in words
    xlsx = keeper.get(f"/money/statements/{statement_id}/report.xlsx")
    assert load_workbook(io.BytesIO(xlsx.data))["未达账项"]["F2"].value == "银行收取的手续费"

    other = client_for(app, "procuratorate_keeper")
    assert other.get(path).status_code == 404
    assert client_for(app, "police_officer").get("/money/reconciliation").status_code == 403
