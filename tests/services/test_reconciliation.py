"""Bank-statement reconciliation of the case-money account (issue 13): import, automatic matching by
slip number and amount, resolutions with a reason, manual matches, the report. Service layer only;
runs on both engines."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from custody.domain.clock import local_date
from custody.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from custody.extensions import db
from custody.models.money import BankStatement, MovementResolution, StatementLine
from custody.services import reconciliation
from custody.services.imports import ImportRejected

from ..factories import act, open_case
from ..helpers import events, row_counts
from ..money_helpers import account, cash, deposit

HEADER = "date,amount,counterparty,reference\n"


def csv_file(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode()


def statement_of(content: bytes, username: str = "police_keeper", name: str = "statement.csv"):
    statement = reconciliation.import_statement(
        db.session, act(username), account().id, filename=name, content=content
    )
    db.session.commit()
    return statement


@pytest.fixture
def deposits(app, now):
    """Two cash deposits of one case, slips 0001 (12,345.00 元) and 0002 (500.50 元)."""
    case = open_case()
    first = deposit(cash(case, 1_234_500, name="现金一"), slip_no="存款凭条 0001")
    second = deposit(cash(case, 50_050, name="现金二"), slip_no="存款凭条 0002")
    return case, first, second


def today(now) -> str:
    return local_date(now).isoformat()


def test_a_statement_matches_deposits_by_slip_number_and_amount(deposits, now):
    _, first, second = deposits
    statement = statement_of(
        csv_file(
            f"{today(now)},12345.00,张三,存款凭条0001",  # inner space ignored
            f"{today(now)},500.5,李四,存款凭条 0002",
            f"{today(now)},-12.00,银行,手续费",
        )
    )
    view = reconciliation.statement_view(db.session, act("police_keeper"), statement.id)
    assert {line.row_no: line.movement_id for line in view.matched} == {2: first.id, 3: second.id}
    assert [line.row_no for line in view.unmatched] == [4]
    assert view.movements == []
    t = view.totals
    assert (t.lines, t.credits_fen, t.debits_fen, t.matched_fen, t.unmatched_lines_fen) == (
        3,
        1_284_550,
        1_200,
        1_284_550,
        -1_200,
    )
    [event] = events("reconciliation.import")
    assert event.data["lines"] == 3
    assert event.data["matched"] == {"2": first.id, "3": second.id}
    assert event.data["sha256"] == statement.sha256


def test_unmatched_lines_and_unmatched_movements_are_both_listed(deposits, now):
    _, first, second = deposits
    statement = statement_of(
        csv_file(
            f"{today(now)},12345.00,张三,存款凭条 0001",
            f"{today(now)},500.51,李四,存款凭条 0002",  # the amount differs by one 分
            f"{today(now)},-500.50,李四,存款凭条 0002",  # a debit never matches a deposit
        )
    )
    view = reconciliation.statement_view(db.session, act("police_keeper"), statement.id)
    assert [line.movement_id for line in view.matched] == [first.id]
    assert [line.row_no for line in view.unmatched] == [3, 4]
    assert [u.movement.id for u in view.movements] == [second.id]
    assert view.totals.unmatched_movements_fen == 50_050


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("12.345", "At most two decimal places (fen)."),
        ("0", "The amount must be more than zero."),
        ("0.00", "The amount must be more than zero."),
        ("1e400000000", "Too large."),
        ("2000000000000", "The amount is too large for one movement."),
        ("abc", "Not an amount in yuan."),
        ("", "Required."),
    ],
)
def test_a_bad_amount_refuses_the_whole_file_and_stores_nothing(deposits, now, cell, message):
    before = row_counts(BankStatement, StatementLine)
    content = csv_file(f"{today(now)},12345.00,张三,存款凭条 0001", f"{today(now)},{cell},李四,X1")
    with pytest.raises(ImportRejected) as refused:
        statement_of(content)
    db.session.rollback()
    [row] = refused.value.extra["rows"]
    assert row["row"] == 3
    assert row["errors"] == {"amount": [message]}
    assert refused.value.code == "reconciliation.rows_invalid"
    assert row_counts(BankStatement, StatementLine) == before
    assert events("reconciliation.import") == []


def test_bad_dates_are_reported_per_row_and_column(deposits, now):
    tomorrow = (local_date(now) + timedelta(days=1)).isoformat()
    content = csv_file(
        "2026-13-01,1.00,a,b",
        f"{tomorrow},1.00,a,b",
        "1900-01-01,1.00,a,b",
        f"{today(now)},0.001,a,b",
    )
    with pytest.raises(ImportRejected) as refused:
        statement_of(content)
    db.session.rollback()
    rows = {r["row"]: r["errors"] for r in refused.value.extra["rows"]}
    assert rows == {
        2: {"date": ["Use the form 2026-11-25."]},
        3: {"date": ["In the future."]},
        4: {"date": ["Out of range."]},
        5: {"amount": ["At most two decimal places (fen)."]},
    }
    assert row_counts(BankStatement) == {"bank_statement": 0}


def test_chinese_headers_and_xlsx_are_read(deposits, now):
    _, first, _ = deposits
    book = Workbook()
    sheet = book.active
    sheet.append(["交易日期", "金额（元）", "对方户名", "凭证号"])
    sheet.append([local_date(now), 12345, "张三", "存款凭条 0001"])
    buffer = io.BytesIO()
    book.save(buffer)
    statement = statement_of(buffer.getvalue(), name="对账单.xlsx")
    assert [line.movement_id for line in statement.lines] == [first.id]


def test_the_row_limit_is_checked_while_streaming(app, monkeypatch, now):
    monkeypatch.setattr("custody.services.imports.MAX_ROWS", 3)
    account()
    with pytest.raises(InvalidInput) as refused:
        statement_of(csv_file(*[f"{today(now)},1.00,a,r{i}" for i in range(4)]))
    assert refused.value.fields == {"file": ["Too many rows."]}


def test_a_file_already_imported_is_refused(deposits, now):
    content = csv_file(f"{today(now)},12345.00,张三,存款凭条 0001")
    statement_of(content)
    with pytest.raises(Conflict) as refused:
        statement_of(content, name="again.csv")
    db.session.rollback()
    assert refused.value.code == "reconciliation.duplicate_file"
    assert row_counts(BankStatement) == {"bank_statement": 1}


def test_a_movement_is_matched_only_once(deposits, now):
    _, first, _ = deposits
    one = statement_of(
        csv_file(f"{today(now)},12345.00,张三,存款凭条 0001", f"{today(now)},12345.00,张三,存款凭条 0001")
    )
    assert [line.movement_id for line in one.lines] == [first.id, None]
    # A second statement showing the same slip finds it taken.
    two = statement_of(csv_file(f"{today(now)},12345.00,张三,存款凭条 0001", f"{today(now)},1.00,x,y"))
    assert [line.movement_id for line in two.lines] == [None, None]
    # Nor can it be matched by hand.
    with pytest.raises(Conflict) as refused:
        reconciliation.match_line(
            db.session, act("police_keeper"), two.id, two.lines[0].id, movement_id=first.id
        )
    assert refused.value.code == "reconciliation.movement_matched"


def test_resolving_needs_a_real_reason(deposits, now):
    _, _, second = deposits
    statement = statement_of(csv_file(f"{today(now)},-12.00,银行,手续费"))
    keeper = act("police_keeper")
    line = statement.lines[0]
    for reason in ("", "   ", "。。。", "aaaa", "ok"):
        with pytest.raises(InvalidInput) as refused:
            reconciliation.resolve_line(db.session, keeper, statement.id, line.id, reason=reason)
        assert refused.value.fields == {"reason": ["Give a real reason."]}
    db.session.rollback()
    resolved = reconciliation.resolve_line(
        db.session, keeper, statement.id, line.id, reason="银行账户管理费，非涉案款"
    )
    db.session.commit()
    assert resolved.resolution == "银行账户管理费，非涉案款"
    assert resolved.resolved_by_id == keeper.user_id
    with pytest.raises(Conflict):
        reconciliation.resolve_line(db.session, keeper, statement.id, line.id, reason="再次处理一下")
    db.session.rollback()
    # The other side: a deposit the statement does not show.
    with pytest.raises(InvalidInput):
        reconciliation.resolve_movement(db.session, keeper, statement.id, second.id, reason="x")
    db.session.rollback()
    reconciliation.resolve_movement(
        db.session, keeper, statement.id, second.id, reason="次日入账，见下期对账单"
    )
    db.session.commit()
    [resolution] = db.session.scalars(select(MovementResolution)).all()
    assert resolution.movement_id == second.id
    assert [e.reason for e in events("reconciliation.line_resolve")] == ["银行账户管理费，非涉案款"]
    [event] = events("reconciliation.movement_resolve")
    assert event.data["movement_id"] == second.id
    assert event.reason == "次日入账，见下期对账单"


def test_a_manual_match_needs_the_same_amount(deposits, now):
    _, first, second = deposits
    statement = statement_of(csv_file(f"{today(now)},500.50,李四,现金存入"))
    keeper = act("police_keeper")
    line = statement.lines[0]
    with pytest.raises(Conflict) as refused:
        reconciliation.match_line(db.session, keeper, statement.id, line.id, movement_id=first.id)
    assert refused.value.code == "reconciliation.amount_differs"
    db.session.rollback()
    matched = reconciliation.match_line(
        db.session, keeper, statement.id, line.id, movement_id=second.id, reason="银行摘要未写凭条号"
    )
    db.session.commit()
    assert matched.movement_id == second.id
    assert matched.matched_by_id == keeper.user_id
    [event] = events("reconciliation.line_match")
    assert event.data["movement_id"] == second.id
    view = reconciliation.statement_view(db.session, keeper, statement.id)
    assert view.unmatched == []
    assert [u.movement.id for u in view.movements] == [first.id]


def test_another_agency_sees_no_statement_and_an_officer_may_not_reconcile(deposits, now):
    statement = statement_of(csv_file(f"{today(now)},12345.00,张三,存款凭条 0001"))
    other = act("procuratorate_keeper")
    with pytest.raises(NotFound):
        reconciliation.statement_view(db.session, other, statement.id)
    with pytest.raises(NotFound):
        reconciliation.import_statement(
            db.session, other, account().id, filename="s.csv", content=csv_file(f"{today(now)},1.00,a,b")
        )
    with pytest.raises(PermissionDenied):
        reconciliation.statements_of(db.session, act("police_officer"), account().id)


def test_the_report_as_xlsx_lists_each_unmatched_item_with_its_resolution(deposits, now):
    statement = statement_of(csv_file(f"{today(now)},-12.00,银行,手续费"))
    keeper = act("police_keeper")
    reconciliation.resolve_line(
        db.session, keeper, statement.id, statement.lines[0].id, reason="银行账户管理费"
    )
    db.session.commit()
    view = reconciliation.statement_view(db.session, keeper, statement.id)
    book = load_workbook(io.BytesIO(reconciliation.report_xlsx(view)))
    assert book.sheetnames == ["汇总", "未达账项"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["专户"].startswith("中国工商银行上海浦东分行")
    detail = list(book["未达账项"].iter_rows(values_only=True))
    assert detail[1][0] == "银行有、账上无"
    assert detail[1][2] == -12
    assert detail[1][5] == "银行账户管理费"
    assert [row[0] for row in detail[2:]] == ["账上有、银行无", "账上有、银行无"]
    assert {row[5] for row in detail[2:]} == {"未处理"}


def test_the_report_as_pdf_names_the_account_and_the_unmatched_line(deposits, now):
    from pypdf import PdfReader

    statement = statement_of(csv_file(f"{today(now)},-12.00,银行,手续费8899"))
    keeper = act("police_keeper")
    reconciliation.resolve_line(
        db.session, keeper, statement.id, statement.lines[0].id, reason="银行账户管理费"
    )
    db.session.commit()
    view = reconciliation.statement_view(db.session, keeper, statement.id)
    pdf = reconciliation.report_pdf(view, agency="浦东公安分局")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    compact = "".join(text.split())
    assert "涉案款专户对账报告" in compact
    assert "100123456789" in compact  # the account number (spaces removed when registered)
    assert "手续费8899" in compact
    assert "银行账户管理费" in compact
    assert "−12.00" in compact
    assert "保管员" in compact
    assert "复核人" in compact
