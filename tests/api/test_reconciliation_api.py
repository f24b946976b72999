"""Bank-statement reconciliation through the JSON API (issue 13): auth and error paths as problems,
nothing stored on a bad file, the report as PDF and XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from custody.domain.clock import local_date
from custody.models.audit import AuditEvent
from custody.models.money import BankStatement, MovementResolution, StatementLine

from ..factories import open_case
from ..helpers import row_counts
from ..money_helpers import account, cash, deposit

TABLES = (BankStatement, StatementLine, MovementResolution, AuditEvent)


@pytest.fixture
def funded(app, now):
    case = open_case()
    first = deposit(cash(case, 100_000, name="现金一"), slip_no="A-1")
    second = deposit(cash(case, 2_000, name="现金二"), slip_no="A-2")
    return account("PDGA"), first, second, local_date(now).isoformat()


def upload(api, user, account_id, text, name="statement.csv"):
    return api.post(
        user,
        f"/money/accounts/{account_id}/statements",
        data={"file": (io.BytesIO(text.encode()), name)},
    )


def test_import_read_resolve_match_and_report(api, client, auth_headers, funded):
    acct, first, second, day = funded
    text = f"date,amount,counterparty,reference\n{day},1000.00,张三,A-1\n{day},20.00,李四,存入\n{day},-3.50,银行,手续费\n"
    imported = upload(api, "police_keeper", acct.id, text)
    assert imported.status_code == 201, imported.json
    body = imported.json
    assert [line["movement_id"] for line in body["matched"]] == [first.id]
    assert [line["row_no"] for line in body["unmatched"]] == [3, 4]
    assert [u["movement"]["id"] for u in body["movements"]] == [second.id]
    assert body["totals"]["credits_fen"] == 102_000
    assert body["totals"]["debits_fen"] == 350
    statement_id = body["statement"]["id"]
    listed = api.get("police_keeper", f"/money/accounts/{acct.id}/statements")
    assert [s["id"] for s in listed.json] == [statement_id]

    again = upload(api, "police_keeper", acct.id, text, name="again.csv")
    assert again.status_code == 409
    assert again.json["code"] == "reconciliation.duplicate_file"
    assert again.headers["Content-Type"].startswith("application/problem+json")

    [fee, deposit_line] = sorted(body["unmatched"], key=lambda line: line["amount_fen"])
    short = api.post(
        "police_keeper", f"/money/statements/{statement_id}/lines/{fee['id']}/resolve", {"reason": "费"}
    )
    assert short.status_code == 422
    resolved = api.post(
        "police_keeper",
        f"/money/statements/{statement_id}/lines/{fee['id']}/resolve",
        {"reason": "银行收取的手续费"},
    )
    assert resolved.status_code == 200
    assert resolved.json["resolution"] == "银行收取的手续费"
    wrong = api.post(
        "police_keeper",
        f"/money/statements/{statement_id}/lines/{deposit_line['id']}/match",
        {"movement_id": first.id},
    )
    assert wrong.status_code == 409
    matched = api.post(
        "police_keeper",
        f"/money/statements/{statement_id}/lines/{deposit_line['id']}/match",
        {"movement_id": second.id, "reason": "摘要未写凭条号"},
    )
    assert matched.status_code == 200
    assert matched.json["matched_manually"] is True
    detail = api.get("police_keeper", f"/money/statements/{statement_id}").json
    assert detail["movements"] == []
    assert len(detail["matched"]) == 2

    pdf = api.get("police_keeper", f"/money/statements/{statement_id}/report")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data[:4] == b"%PDF"
    xlsx = api.get("police_keeper", f"/money/statements/{statement_id}/report?format=xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book["未达账项"]["F2"].value == "银行收取的手续费"
    assert api.get("police_keeper", f"/money/statements/{statement_id}/report?format=doc").status_code == 422


def test_a_bad_row_refuses_the_file_as_a_problem_and_stores_nothing(api, funded):
    acct, _, _, day = funded
    api.get("police_keeper", "/me")
    before = row_counts(*TABLES)
    text = f"date,amount,counterparty,reference\n{day},1000.00,张三,A-1\n{day},0.001,李四,A-2\nnot a date,0,x,y\n"
    answer = upload(api, "police_keeper", acct.id, text)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    rows = {r["row"]: set(r["errors"]) for r in answer.json["rows"]}
    assert rows == {3: {"amount"}, 4: {"date", "amount"}}
    assert row_counts(*TABLES) == before
    not_csv = upload(api, "police_keeper", acct.id, "x", name="statement.txt")
    assert not_csv.status_code == 422


def test_another_agency_gets_404_and_an_officer_403_and_no_token_401(api, client, funded):
    acct, _, second, day = funded
    text = f"date,amount,counterparty,reference\n{day},1000.00,张三,A-1\n"
    statement_id = upload(api, "police_keeper", acct.id, text).json["statement"]["id"]
    assert upload(api, "procuratorate_keeper", acct.id, text + f"{day},1.00,x,y\n").status_code == 404
    assert api.get("procuratorate_keeper", f"/money/statements/{statement_id}").status_code == 404
    assert api.get("procuratorate_keeper", f"/money/statements/{statement_id}/report").status_code == 404
    assert (
        api.post(
            "procuratorate_keeper",
            f"/money/statements/{statement_id}/movements/{second.id}/resolve",
            {"reason": "次日入账，见下期"},
        ).status_code
        == 404
    )
    assert api.get("police_officer", f"/money/statements/{statement_id}").status_code == 403
    assert api.get("police_officer", f"/money/accounts/{acct.id}/statements").status_code == 403
    assert client.get(f"/api/v1/money/statements/{statement_id}").status_code == 401
    resolved = api.post(
        "police_keeper",
        f"/money/statements/{statement_id}/movements/{second.id}/resolve",
        {"reason": "次日入账，见下期"},
    )
    assert resolved.status_code == 200
    assert resolved.json["resolution"] == "次日入账，见下期"
