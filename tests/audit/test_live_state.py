"""The live rows proven against their history (issue 14, High): a row edited, deleted or inserted
outside the application is named by ``flask custody verify-audit`` and by the item check, with the
record and the field.

Each test makes the change the way an administrator with direct access would (a raw SQL UPDATE or
DELETE, past the triggers and foreign keys, ``as_dba``), on both engines; before the change the
record verifies clean (which the check after every test also shows for every journey of the suite).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from custody.audit.bundle import verify_bundle
from custody.audit.certificate import certificate_pdf
from custody.audit.ledger import current_settings
from custody.audit.service import export_dossier
from custody.audit.verification import verify_item
from custody.domain.clock import local_date
from custody.domain.enums import DispositionKind, ExternalKind, ItemCategory, Measure
from custody.domain.lifecycle import CheckoutPurpose, CounterpartyKind, FreezeAssetType
from custody.extensions import db
from custody.models.case import Case
from custody.models.item import Item
from custody.models.lifecycle import Checkout, Disposition, FreezeOrder
from custody.models.money import MoneyLedger, MoneyMovement
from custody.models.transfer import Transfer, TransferLine
from custody.services import checkouts, dispositions, freezes, transfers

from ..conftest import login
from ..factories import act, agency, close_case, location, register, send_to_procuratorate, stored_items
from ..helpers import fresh
from ..money_helpers import cash, deposit
from .ledger_helpers import as_dba, problem_texts, verify

pytestmark = pytest.mark.live_rows_diverge(reason="changes rows outside the application on purpose")

ITEMS = Item.__table__
CHANGED = "the row was changed outside the application."


def verify_audit(runner) -> tuple[int, list[str]]:
    result = runner.invoke(args=["custody", "verify-audit"])
    return result.exit_code, result.output.splitlines()


def edit(table, row_id: int, **values) -> None:
    with as_dba() as conn:
        conn.execute(update(table).where(table.c.id == row_id).values(**values))


def item_problems(item_id: int) -> list[str]:
    """The item's own check (the API's ``/audit/verify`` and the item page): the same replay."""
    fresh()
    item = db.session.get(Item, item_id)
    return problem_texts(verify_item(db.session, current_settings(), item, None))


def assert_named(runner, item_id: int | None, expected: str) -> None:
    """verify-audit fails naming ``expected``; so does the item's own check when it is an item."""
    assert verify().ok is False
    code, lines = verify_audit(runner)
    assert code == 1, lines
    assert any(expected in line for line in lines), lines
    if item_id is not None:
        assert expected in item_problems(item_id)


@pytest.fixture
def stored(app, runner):
    case, items = stored_items(2)
    code, lines = verify_audit(runner)
    assert code == 0, lines
    assert lines[0].startswith("OK: the audit record is intact."), lines
    assert lines[1].startswith("The live records match their history: 2 item(s), 1 case(s)"), lines
    assert item_problems(items[0].id) == []
    return case, items


# -- items ----------------------------------------------------------------------------------------


def test_an_edited_custodian_is_named(stored, runner):
    _case, [item, _] = stored
    procuratorate = agency("PDJC").id
    edit(ITEMS, item.id, custodian_agency_id=procuratorate)
    assert_named(
        runner,
        item.id,
        f"Item {item.id}: its custodian_agency_id is {procuratorate}, but its history says "
        f"{agency('PDGA').id}: {CHANGED}",
    )


def test_an_edited_location_is_named(stored, runner):
    _case, [item, _] = stored
    shelf, elsewhere = item.storage_location_id, location("R3-A-01").id
    edit(ITEMS, item.id, storage_location_id=elsewhere)
    assert_named(
        runner,
        item.id,
        f"Item {item.id}: its storage_location_id is {elsewhere}, but its history says {shelf}: {CHANGED}",
    )
    edit(ITEMS, item.id, storage_location_id=shelf, location_state="checked_out")
    assert_named(
        runner,
        item.id,
        f'Item {item.id}: its location_state is "checked_out", but its history says "in_storage": {CHANGED}',
    )


def test_an_edited_quantity_is_named(stored, runner):
    _case, [item, _] = stored
    edit(ITEMS, item.id, quantity=3)
    assert_named(runner, item.id, f'Item {item.id}: its quantity is "3", but its history says "1": {CHANGED}')


def test_an_edited_value_is_named(stored, runner):
    _case, [item, _] = stored
    edit(ITEMS, item.id, estimated_value_fen=1)
    assert_named(
        runner, item.id, f"Item {item.id}: its estimated_value_fen is 1, but its history says null: {CHANGED}"
    )


def test_an_edited_owner_id_number_is_named_without_showing_it(app, runner):
    case, _ = stored_items(0)
    item = register(case, name="金项链", owner_name="王某", owner_id_no="310101199001011234")
    assert verify().ok
    edit(ITEMS, item.id, owner_id_no="310101199001015678")
    expected = (
        f"Item {item.id}: its owner_id_no does not match the digest its history records: "
        "the personal data was changed outside the application."
    )
    assert_named(runner, item.id, expected)
    code, lines = verify_audit(runner)
    assert not any("5678" in line or "1234" in line for line in lines)  # never the personal data


def test_a_deleted_item_row_is_named_with_its_history(stored, runner):
    _case, [item, other] = stored
    item_id, other_id = item.id, other.id
    with as_dba() as conn:
        conn.execute(delete(ITEMS).where(ITEMS.c.id == item_id))
    assert_named(
        runner,
        None,
        f"Item {item_id} has 2 events in its history but no row in the database: the row was deleted.",
    )
    assert item_problems(other_id) == []  # the other item is untouched


def test_an_item_row_inserted_outside_the_application_is_named(stored, runner):
    _case, [item, _] = stored
    with as_dba() as conn:
        row = conn.execute(select(ITEMS).where(ITEMS.c.id == item.id)).one()._asdict()
        new_id = conn.scalar(select(ITEMS.c.id).order_by(ITEMS.c.id.desc()).limit(1)) + 1
        row.update(id=new_id, label_code="FORGED-1", event_count=0, last_event_hash=None)
        conn.execute(insert(ITEMS).values(**row))
    expected = (
        f"Item {new_id} is in the database but has no history: it was inserted outside the application."
    )
    assert_named(runner, new_id, expected)


def test_every_field_is_reported_not_only_the_first(stored, runner):
    _case, [item, other] = stored
    edit(ITEMS, item.id, quantity=2, estimated_value_fen=5)
    edit(ITEMS, other.id, custody_state="in_transfer")
    texts = problem_texts(verify())
    assert [t.split(":")[0:2] for t in texts] == [
        [f"Item {item.id}", ' its quantity is "2", but its history says "1"'],
        [f"Item {item.id}", " its estimated_value_fen is 5, but its history says null"],
        [f"Item {other.id}", ' its custody_state is "in_transfer", but its history says "held"'],
    ]
    problems = verify().problems
    assert [(p.record, p.record_id, p.field) for p in problems] == [
        ("item", item.id, "quantity"),
        ("item", item.id, "estimated_value_fen"),
        ("item", other.id, "custody_state"),
    ]


def test_the_api_item_check_names_the_field(stored, client, auth_headers):
    _case, [item, _] = stored
    edit(ITEMS, item.id, estimated_value_fen=1)
    answer = client.get(
        "/api/v1/audit/verify",
        query_string={"item_id": item.id},
        headers={**auth_headers("auditor"), "Accept-Language": "en"},
    ).json
    assert answer["ok"] is False
    [problem] = answer["problems"]
    assert problem["code"] == "live.mismatch"
    assert (problem["record"], problem["record_id"], problem["field"]) == (
        "item",
        item.id,
        "estimated_value_fen",
    )


def test_the_item_page_badge_uses_the_same_check(app, stored, login_as):
    _case, [item, other] = stored
    client = login_as("auditor")
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "记录与其历史相符：共 2 条记录" in page
    edit(ITEMS, item.id, location_state="gone")
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "核验未通过" in page
    assert f"财物 {item.id}：其 location_state 为 &#34;gone&#34;，而历史记录为 &#34;in_storage&#34;" in page
    officer = app.test_client()  # not an auditor: no badge
    assert login(officer, "police_officer").status_code == 302
    assert 'id="record-check"' not in officer.get(f"/items/{other.id}").get_data(as_text=True)


# -- cases and transfers --------------------------------------------------------------------------

CASES, TRANSFERS, LINES = Case.__table__, Transfer.__table__, TransferLine.__table__


def test_an_edited_case_stage_is_named(stored, runner):
    case, _ = stored
    edit(CASES, case.id, stage="closed")
    assert_named(
        runner,
        None,
        f'Case {case.id}: its stage is "closed", but its history says "investigation": {CHANGED}',
    )


def test_an_edited_handling_agency_is_named(app, runner):
    case, [item] = stored_items(1)
    send_to_procuratorate(case, [item.id])
    transfer = db.session.scalar(select(Transfer).where(Transfer.case_id == case.id))
    transfers.decide_lines(
        db.session, act("prosecutor"), transfer.id, [item.id], accept=True, case_no="浦检刑诉[2026]1号"
    )
    db.session.commit()
    assert verify().ok
    police, procuratorate = agency("PDGA").id, agency("PDJC").id
    edit(CASES, case.id, handling_agency_id=police)
    assert_named(
        runner,
        None,
        f"Case {case.id}: its handling_agency_id is {police}, but its history says {procuratorate}: {CHANGED}",
    )


def test_an_edited_transfer_status_is_named(stored, runner):
    case, [item, _] = stored
    transfer = send_to_procuratorate(case, [item.id])
    assert verify().ok
    edit(TRANSFERS, transfer.id, status="completed")
    assert_named(
        runner,
        None,
        f'Transfer {transfer.id}: its status is "completed", but its history says "pending": {CHANGED}',
    )


def test_an_edited_transfer_line_is_named(stored, runner):
    case, [item, _] = stored
    transfer = send_to_procuratorate(case, [item.id])
    with as_dba() as conn:
        conn.execute(update(LINES).where(LINES.c.transfer_id == transfer.id).values(decision="accepted"))
    assert_named(
        runner,
        None,
        f'Transfer {transfer.id}, line of item {item.id}: its decision is "accepted", but its history says '
        '"pending": the line was changed outside the application.',
    )


# -- check-outs, disposals, freezes ---------------------------------------------------------------


def test_an_edited_checkout_is_named(stored, runner, now):
    _case, [item, _] = stored
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[item.id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=checkouts.CounterpartyInput(name="上海市司法鉴定中心", kind=CounterpartyKind.LAB),
        due_at=now + timedelta(days=2),
    )
    db.session.commit()
    assert verify().ok
    edit(Checkout.__table__, checkout.id, status="approved")
    assert_named(
        runner,
        None,
        f'Check-out {checkout.id}: its status is "approved", but its history says "requested": {CHANGED}',
    )


def test_an_edited_disposal_is_named(app, runner):
    case, [item] = stored_items(1)
    close_case(case)
    disposal = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[item.id], kind=DispositionKind.CONFISCATE
    )
    db.session.commit()
    assert verify().ok
    edit(Disposition.__table__, disposal.id, status="executed", receipt_no="伪造回单")
    texts = problem_texts(verify())
    assert texts[:2] == [
        f'Disposal {disposal.id}: its status is "executed", but its history says "proposed": {CHANGED}',
        f'Disposal {disposal.id}: its receipt_no is "伪造回单", but its history says null: {CHANGED}',
    ]
    code, lines = verify_audit(runner)
    assert code == 1
    assert lines[0] == f"FAILED: {texts[0]}"


def test_an_edited_freeze_is_named(app, runner, now):
    case, _ = stored_items(0)
    account = register(
        case,
        name="张某工行账户存款",
        category=ItemCategory.BANK_ACCOUNT,
        measure=Measure.FROZEN,
        details={
            "bank": "中国工商银行上海浦东分行",
            "account_no": "6222021001122334455",
            "account_name": "张某",
        },
        external_kind=ExternalKind.BANK,
        external_place="工商银行浦东分行",
    )
    order = freezes.create_freeze(
        db.session,
        act("police_officer"),
        item_id=account.id,
        asset_type=FreezeAssetType.DEPOSIT,
        institution="工商银行浦东分行",
        account_no="6222021001122334455",
        amount_fen=52_000_000,
        start_on=local_date(now),
        notice_doc_no="沪公(浦)冻通[2026]12号",
    )
    db.session.commit()
    assert verify().ok
    expires = order.expires_on
    later = expires + timedelta(days=365)
    edit(FreezeOrder.__table__, order.id, expires_on=later, amount_fen=1)
    texts = problem_texts(verify())
    assert texts == [
        f"Freeze {order.id}: its amount_fen is 1, but its history says 52000000: {CHANGED}",
        f'Freeze {order.id}: its expires_on is "{later.isoformat()}", but its history says '
        f'"{expires.isoformat()}": {CHANGED}',
    ]


# -- the dossier and the certificate state it ------------------------------------------------------


def test_a_dossier_states_and_signs_that_the_live_rows_matched(stored):
    case, [item, _] = stored
    bundle = export_dossier(db.session, current_settings(), None, item_id=item.id).bundle
    db.session.commit()
    assert bundle["live_state"]["matches"] is True
    assert bundle["live_state"]["problems"] == 0
    assert bundle["manifest"]["body"]["live_state"] == {"matches": True, "records": 1, "problems": 0}
    report = verify_bundle(bundle, current_settings().public_key)
    assert report.ok
    assert (
        "live rows: at export, the subject's 1 live record(s) matched their history (signed by the exporter)"
        in (report.summary)
    )
    whole = export_dossier(db.session, current_settings(), None, case_id=case.id).bundle
    db.session.commit()
    assert whole["manifest"]["body"]["live_state"] == {"matches": True, "records": 3, "problems": 0}
    assert certificate_pdf(whole).startswith(b"%PDF")


def test_a_dossier_exported_after_a_row_was_edited_says_so(stored):
    case, [item, _] = stored
    edit(ITEMS, item.id, estimated_value_fen=1)
    bundle = export_dossier(db.session, current_settings(), None, case_id=case.id).bundle
    db.session.commit()
    live = bundle["live_state"]
    assert (live["matches"], live["problems"]) == (False, 1)
    assert live["details"] == [
        f"Item {item.id}: its estimated_value_fen is 1, but its history says null: {CHANGED}"
    ]
    report = verify_bundle(bundle, current_settings().public_key)
    assert report.ok  # the history itself is intact …
    assert any(line.startswith("live rows: WARNING") for line in report.summary)  # … the rows were not
    assert certificate_pdf(bundle).startswith(b"%PDF")
    # The statement is signed: the holder of the file cannot turn it into a clean one.
    bundle["live_state"].update(matches=True, problems=0)
    assert verify_bundle(bundle, current_settings().public_key).problems == [
        "the dossier's live_state differs from the one signed in the manifest "
        "({'matches': False, 'records': 3, 'problems': 1})"
    ]


# -- the case's money -----------------------------------------------------------------------------


def test_an_edited_money_ledger_and_movement_are_named(app, runner):
    case, _ = stored_items(0)
    movement = deposit(cash(case, 1_000_000))
    assert verify().ok
    procuratorate, police = agency("PDJC").id, agency("PDGA").id
    edit(MoneyLedger.__table__, movement.ledger_id, custodian_agency_id=procuratorate)
    # Past the triggers and the running-sum check: the delta and the balance edited together.
    edit(MoneyMovement.__table__, movement.id, delta_fen=10, balance_after_fen=10)
    texts = problem_texts(verify())
    assert texts == [
        f"Case-money sub-ledger {movement.ledger_id}: its custodian_agency_id is {procuratorate}, but its "
        f"history says {police}: {CHANGED}",
        f"Money movement {movement.id}: its delta_fen is 10, but its history says 1000000: {CHANGED}",
        f"Money movement {movement.id}: its balance_after_fen is 10, but its history says 1000000: {CHANGED}",
    ]
    code, lines = verify_audit(runner)
    assert code == 1
    assert lines[0] == f"FAILED: {texts[0]}"
