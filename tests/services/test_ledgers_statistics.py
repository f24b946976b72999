"""台账 exports (streamed, Chinese headers, recorded as security events) and statistics."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from custody.domain import clock as app_clock
from custody.domain.clock import local_date
from custody.domain.enums import EventCategory, ItemCategory, ItemStatus, TransferKind
from custody.domain.errors import InvalidInput, PermissionDenied
from custody.extensions import db
from custody.services import ledgers, milestones, statistics
from custody.services.items import ItemQuery
from custody.services.transfers import decide_lines, propose_transfer

from ..factories import act, agency, open_case, register, stored_items
from ..helpers import events


@pytest.fixture
def holdings(app):
    case, stored = stored_items(3)
    moved = [stored[0].id]
    transfer = propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=moved,
    )
    db.session.commit()
    decide_lines(db.session, act("prosecutor"), transfer.id, moved, accept=True, case_no="浦检[2026]9号")
    db.session.commit()
    cash_case = open_case("李某某盗窃案")
    cash = register(
        cash_case,
        name="人民币现金",
        category=ItemCategory.CASH,
        unit="元",
        estimated_value_fen=123_450,
        details={"amount_fen": 123_450},
        seized_at=app_clock.now() - timedelta(hours=30),
    )
    return {"case": case, "stored": stored, "cash": cash}


def _csv(spec, actor) -> list[list[str]]:
    data = b"".join(ledgers.csv_chunks(ledgers.ledger_rows(db.session, actor, spec), chunk_rows=2))
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_centre_ledger_csv_has_chinese_headers_and_one_row_per_visible_item(holdings):
    police = act("police_keeper")
    spec = ledgers.make_spec(police, "centre", None, ItemQuery(sort="id"))
    rows = _csv(spec, police)
    assert rows[0] == ledgers.HEADERS
    assert rows[0][:3] == ["标签号", "公安案件编号", "检察院案号"]
    assert len(rows) == 1 + 4
    by_label = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    cash = by_label[holdings["cash"].label_code]
    assert cash["估值（元）"] == "1234.50"
    assert cash["类别"] == "现金"
    assert cash["状态"] == "待入库"
    assert cash["保管单位"] == "浦东公安分局"
    assert cash["案件名称"] == "李某某盗窃案"
    moved = by_label[holdings["stored"][0].label_code]
    assert moved["保管单位"] == "浦东新区人民检察院"
    assert moved["检察院案号"] == "浦检[2026]9号"
    assert moved["存放位置"].endswith("01格")
    assert moved["诉讼阶段"] == "审查起诉"


def test_agency_ledger_and_filters(holdings):
    police = act("police_approver")
    spec = ledgers.make_spec(police, "agency", None, ItemQuery(sort="id"))
    assert spec.agency_id == agency("PDGA").id
    labels = [row[0] for row in _csv(spec, police)[1:]]
    assert labels == [i.label_code for i in holdings["stored"][1:]] + [holdings["cash"].label_code]
    only_cash = ledgers.make_spec(police, "centre", None, ItemQuery(category=ItemCategory.CASH, sort="id"))
    assert [row[0] for row in _csv(only_cash, police)[1:]] == [holdings["cash"].label_code]
    awaiting = ledgers.make_spec(
        police, "centre", None, ItemQuery(status=ItemStatus.AWAITING_CHECK_IN, sort="id")
    )
    assert ledgers.row_count(db.session, police, awaiting) == 1
    # Visibility is the item list's: the court sees none of these cases.
    court = act("court_keeper")
    assert _csv(ledgers.make_spec(court, "centre", None, ItemQuery()), court)[1:] == []
    with pytest.raises(InvalidInput):
        ledgers.make_spec(police, "everything", None, ItemQuery())


def test_xlsx_is_a_write_only_workbook_with_numbers_in_yuan(holdings):
    auditor = act("auditor")
    spec = ledgers.make_spec(auditor, "centre", None, ItemQuery(sort="id"))
    count = ledgers.prepare_export(db.session, auditor, spec, "xlsx")
    db.session.commit()
    handle = ledgers.xlsx_file(db.session, auditor, spec, count)
    workbook = load_workbook(handle)
    sheet = workbook["台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ledgers.HEADERS
    assert len(rows) == 1 + count == 5
    value = rows[-1][ledgers.VALUE_COLUMN]
    assert float(value) == 1234.5
    about = {
        row[0]: row[1] for row in workbook["导出说明"].iter_rows(values_only=True) if row and len(row) > 1
    }
    assert about["条数"] == 4
    assert "孙立" in about["导出人"]


def test_every_export_is_a_security_event(holdings):
    keeper = act("police_keeper")
    spec = ledgers.make_spec(keeper, "agency", None, ItemQuery(category=ItemCategory.CASH))
    assert ledgers.prepare_export(db.session, keeper, spec, "csv") == 1
    db.session.commit()
    [event] = events("export")
    assert event.category is EventCategory.SECURITY
    assert event.actor["username"] == "police_keeper"
    assert event.data["format"] == "csv"
    assert event.data["rows"] == 1
    assert event.data["scope"] == "agency"
    assert event.data["filters"] == {"category": "cash"}
    with pytest.raises(PermissionDenied):
        ledgers.prepare_export(db.session, act("police_officer"), spec, "csv")
    db.session.rollback()
    with pytest.raises(InvalidInput):
        ledgers.prepare_export(db.session, keeper, spec, "pdf")


def test_statistics(holdings):
    stats = statistics.statistics(db.session, act("auditor"))
    assert stats.total.count == 4
    assert stats.total.value_fen == 123_450
    by_status = {b.key: b.count for b in stats.by_status}
    assert by_status["in_storage"] == 3
    assert by_status["awaiting_check_in"] == 1
    by_custodian = {b.label: b.count for b in stats.by_custodian}
    assert by_custodian == {"浦东公安分局": 3, "浦东新区人民检察院": 1}
    assert {b.key: b.count for b in stats.by_category}["cash"] == 1
    assert {b.key: b.count for b in stats.by_stage} == {
        "investigation": 1,
        "prosecution_review": 3,
        "trial": 0,
        "execution": 0,
        "closed": 0,
    }
    assert sum(b.count for b in stats.by_age) == 4
    assert stats.by_age[0].count == 4
    # stored_items check items in about two hours after their (default) seizure time
    assert stats.seizure_to_storage_hours.count == 3
    assert 1.5 < stats.seizure_to_storage_hours.mean < 2.5
    investigation = stats.stage_days["investigation"]
    assert investigation.count == 1
    assert 3 <= investigation.mean <= 4  # filed three local days ago (at 00:00), sent today
    assert stats.judgment_to_disposal_days.count == 0
    # The court sees nothing; officers may not look at statistics.
    assert statistics.statistics(db.session, act("court_keeper")).total.count == 0
    with pytest.raises(PermissionDenied):
        statistics.statistics(db.session, act("police_officer"))


def test_statistics_after_closing(holdings):
    milestones.close_case(
        db.session, act("police_officer"), holdings["cash"].case_id, legal_basis="撤字1号", reason="撤案"
    )
    db.session.commit()
    stats = statistics.statistics(db.session, act("police_approver"))
    assert {b.key: b.count for b in stats.by_stage}["closed"] == 1
    assert stats.stage_days["investigation"].count == 2
    assert local_date(stats.generated_at)


def test_cash_without_an_estimate_is_valued_at_its_amount_and_quantities_are_numbers_in_xlsx(app):
    """现金: the amount counted (details.amount_fen) is its value when no estimate was typed; the
    XLSX 数量 column is a number (CSV keeps exact text)."""
    case = open_case("赵某某诈骗案")
    cash = register(
        case,
        name="人民币现金",
        category=ItemCategory.CASH,
        unit="元",
        quantity=1,
        details={"amount_fen": 880_050, "denominations": {"10000": 88, "50": 1}},
    )
    beans = register(
        case,
        name="咖啡豆",
        category=ItemCategory.GOODS,
        unit="千克",
        quantity="2.500",
        estimated_value_fen=12_000,
    )
    assert cash.estimated_value_fen is None
    keeper = act("police_keeper")
    spec = ledgers.make_spec(keeper, "centre", None, ItemQuery(case_id=case.id, sort="id"))
    text_rows = {row[0]: row for row in ledgers.ledger_rows(db.session, keeper, spec)}
    assert text_rows[cash.label_code][ledgers.VALUE_COLUMN] == "8800.50"
    assert text_rows[beans.label_code][ledgers.VALUE_COLUMN] == "120.00"
    assert text_rows[beans.label_code][ledgers.QUANTITY_COLUMN] == "2.5"  # CSV: text
    number_rows = {row[0]: row for row in ledgers.ledger_rows(db.session, keeper, spec, money="decimal")}
    assert number_rows[cash.label_code][ledgers.VALUE_COLUMN] == Decimal("8800.50")
    assert number_rows[cash.label_code][ledgers.QUANTITY_COLUMN] == 1
    csv_rows = {row[0]: row for row in _csv(spec, keeper)[1:]}
    assert csv_rows[cash.label_code][ledgers.VALUE_COLUMN] == "8800.50"
    assert csv_rows[beans.label_code][ledgers.QUANTITY_COLUMN] == "2.5"

    count = ledgers.prepare_export(db.session, keeper, spec, "xlsx")
    db.session.commit()
    sheet = load_workbook(ledgers.xlsx_file(db.session, keeper, spec, count))["台账"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    value = rows[cash.label_code][ledgers.VALUE_COLUMN]
    assert value.data_type == "n"
    assert value.value == pytest.approx(8800.5)
    assert value.number_format == "#,##0.00"
    for label, quantity in ((cash.label_code, 1), (beans.label_code, 2.5)):
        cell = rows[label][ledgers.QUANTITY_COLUMN]
        assert cell.data_type == "n", (label, cell.value)
        assert cell.value == quantity, (label, cell.value)


def test_statistics_value_cash_at_its_counted_amount(app):
    """The statistics value the same way as the ledger and the case page: cash without an estimate
    at its counted amount."""
    from custody.services import statistics as stats_service

    auditor = act("auditor")
    before = stats_service.statistics(db.session, auditor)
    case = open_case("钱某某诈骗案")
    register(
        case,
        name="人民币现金",
        category=ItemCategory.CASH,
        unit="元",
        quantity=1,
        details={"amount_fen": 50_000, "denominations": {"10000": 5}},
    )
    db.session.commit()
    after = stats_service.statistics(db.session, auditor)
    assert after.total.value_fen - before.total.value_fen == 50_000
    cash = {b.key: b for b in after.by_category}[ItemCategory.CASH.value]
    assert (
        cash.value_fen - {b.key: b for b in before.by_category}[ItemCategory.CASH.value].value_fen == 50_000
    )


def _stage_days_reference(
    stats_actor,
) -> tuple[dict[str, tuple[int, float | None]], tuple[int, float | None]]:
    """The per-case Python timeline the SQL aggregates replaced (issue 15), as the reference."""
    from custody.domain.clock import start_of_local_day
    from custody.domain.enums import CaseStage
    from custody.domain.lifecycle import FINAL_KINDS, DispositionRecordStatus
    from custody.domain.transfers import ROUTES
    from custody.models.case import Case
    from custody.models.lifecycle import Disposition, DispositionLine
    from custody.models.oversight import CaseClosure, CaseJudgment
    from custody.models.transfer import Transfer
    from custody.services.visibility import case_filter

    session = db.session
    visible = [c.id for c in session.scalars(select(Case).where(case_filter(stats_actor)))]
    timeline: dict[int, list] = {case_id: [] for case_id in visible}
    for case in session.scalars(select(Case).where(Case.id.in_(visible))):
        timeline[case.id].append((start_of_local_day(case.filed_on), CaseStage.INVESTIGATION))
    for transfer in session.scalars(select(Transfer).where(Transfer.case_id.in_(visible))):
        stage = ROUTES[transfer.kind].to_stage
        if stage is not None and transfer.received_at is not None:
            timeline[transfer.case_id].append((transfer.received_at, stage))
    for judgment in session.scalars(select(CaseJudgment).where(CaseJudgment.case_id.in_(visible))):
        timeline[judgment.case_id].append((start_of_local_day(judgment.effective_on), CaseStage.EXECUTION))
    for closure in session.scalars(select(CaseClosure).where(CaseClosure.case_id.in_(visible))):
        timeline[closure.case_id].append((closure.closed_at, CaseStage.CLOSED))
    totals: dict = {s: [] for s in CaseStage if s is not CaseStage.CLOSED}
    for steps in timeline.values():
        steps.sort(key=lambda step: step[0])
        for (start, stage), (end, _next) in zip(steps, steps[1:], strict=False):
            if stage in totals:
                totals[stage].append((end - start).total_seconds() / 86400)
    stages = {s.value: (len(d), round(sum(d) / len(d), 2) if d else None) for s, d in totals.items()}
    rows = session.execute(
        select(CaseJudgment.effective_on, Disposition.executed_at)
        .join(Disposition, Disposition.case_id == CaseJudgment.case_id)
        .join(DispositionLine, DispositionLine.disposition_id == Disposition.id)
        .where(
            Disposition.status == DispositionRecordStatus.EXECUTED,
            Disposition.kind.in_(FINAL_KINDS),
            CaseJudgment.case_id.in_(visible),
        )
    ).all()
    days = [(done - start_of_local_day(on)).total_seconds() / 86400 for on, done in rows if done]
    return stages, (len(days), round(sum(days) / len(days), 2) if days else None)


def test_stage_durations_are_sql_aggregates_that_match_the_case_timelines(app):
    """Stage days and judgment→disposal days are averaged in SQL (issue 15: no Python loop over the
    cases); they give what each case's timeline gives: filed → sent to the procuratorate → indicted →
    judgment effective → final disposal, and a case dropped by the police."""
    from custody.domain.enums import DispositionKind
    from custody.services import dispositions

    from ..factories import close_case, on_trial

    start = app_clock.now() - timedelta(days=60)
    with app_clock.use(app_clock.PinnedClock(start)):
        tried, [sold, kept] = stored_items(2)
        dropped, _ = stored_items(1)
        pending, _ = stored_items(1)
    with app_clock.use(app_clock.PinnedClock(start + timedelta(days=9, hours=5))):
        close_case(dropped)
        on_trial(pending)
        on_trial(tried)
    judged = start + timedelta(days=12, hours=3)
    with app_clock.use(app_clock.PinnedClock(judged)):
        milestones.record_judgment(
            db.session,
            act("judge"),
            tried.id,
            judgment_no="(2026)沪0115刑初1号",
            effective_on=local_date(judged),
        )
        db.session.commit()
    with app_clock.use(app_clock.PinnedClock(start + timedelta(days=30, hours=7))):
        disposition = dispositions.propose_disposition(
            db.session, act("police_officer"), item_ids=[sold.id, kept.id], kind=DispositionKind.CONFISCATE
        )
        db.session.commit()
        dispositions.decide_disposition(db.session, act("police_approver"), disposition.id, approve=True)
        db.session.commit()
        dispositions.execute_disposition(
            db.session, act("police_keeper"), disposition.id, receipt_no="国库回执 2"
        )
        db.session.commit()
    for username in ("police_approver", "auditor"):
        actor = act(username)
        stats = statistics.statistics(db.session, actor)
        stages, to_disposal = _stage_days_reference(actor)
        assert {k: (v.count, v.mean) for k, v in stats.stage_days.items()} == stages
        assert (stats.judgment_to_disposal_days.count, stats.judgment_to_disposal_days.mean) == to_disposal
    assert stats.stage_days["investigation"].count == 3  # tried, dropped, pending: each sent or closed
    assert stats.stage_days["prosecution_review"].count == 2  # tried and pending: each indicted
    assert stats.stage_days["trial"].count == 1  # tried: judged
    assert stats.judgment_to_disposal_days.count == 2  # one per item disposed of
    assert (
        18 < stats.judgment_to_disposal_days.mean < 19.5
    )  # judged on day 12 (local midnight), done on day 30


def test_recent_statistics_are_shared_within_their_age_by_those_who_see_the_same_items(app, clock):
    """At city scale the figures are a report (issue 15): computed at most once per max_age for one
    visibility scope, and they say when they were computed."""
    case, _stored = stored_items(2)
    five_minutes = timedelta(minutes=5)
    first = statistics.recent_statistics(db.session, act("police_approver"), max_age=five_minutes)
    assert first.total.count == 2
    register(case, "新扣押的箱子", ItemCategory.GOODS)
    clock.advance(timedelta(minutes=4))
    again = statistics.recent_statistics(db.session, act("police_approver"), max_age=five_minutes)
    assert again is first
    assert again.total.count == 2
    # Another scope is computed for itself: the auditor, the court (which sees none of it).
    assert statistics.recent_statistics(db.session, act("auditor"), max_age=five_minutes).total.count == 3
    court = statistics.recent_statistics(db.session, act("court_keeper"), max_age=five_minutes)
    assert court.total.count == 0
    # Older than max_age, or asked with no age: computed again.
    assert (
        statistics.recent_statistics(db.session, act("police_approver"), max_age=timedelta(0)).total.count
        == 3
    )
    clock.advance(timedelta(minutes=2))
    later = statistics.recent_statistics(db.session, act("police_approver"), max_age=five_minutes)
    assert later.total.count == 3
    assert later.generated_at > first.generated_at
    # The permission is checked whatever is kept.
    with pytest.raises(PermissionDenied):
        statistics.recent_statistics(db.session, act("police_officer"), max_age=five_minutes)


def test_visibility_scopes_separate_what_actors_see():
    from custody.domain.actor import Actor
    from custody.domain.enums import AgencyKind, Role
    from custody.services.visibility import visibility_scope

    def actor(*roles: Role, agency_id: int = 1, centres: frozenset[int] = frozenset()) -> Actor:
        return Actor(
            1,
            "x",
            "X",
            agency_id,
            "PDGA",
            "浦东公安分局",
            AgencyKind.POLICE,
            frozenset(roles),
            operated_centre_ids=centres,
        )

    assert visibility_scope(actor(Role.APPROVER)) == visibility_scope(actor(Role.OFFICER))
    assert visibility_scope(actor(Role.APPROVER)) != visibility_scope(actor(Role.APPROVER, agency_id=2))
    assert visibility_scope(actor(Role.KEEPER)) != visibility_scope(actor(Role.APPROVER))
    assert visibility_scope(actor(Role.KEEPER)) != visibility_scope(
        actor(Role.KEEPER, centres=frozenset({3}))
    )
    assert visibility_scope(actor(Role.AUDITOR, agency_id=5)) == visibility_scope(actor(Role.AUDITOR))
    assert visibility_scope(actor(Role.ADMIN)) != visibility_scope(actor(Role.OFFICER))
