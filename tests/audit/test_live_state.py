"""The live rows proven against their history (issue 14, High): a row edited, deleted or inserted
outside the application is named by ``flask custody verify-audit`` and by the item check, with the
record and the field.

Each test makes the change the way an administrator with direct access would (a raw SQL UPDATE or
DELETE, past the triggers and foreign keys, ``as_dba``), on both engines; before the change the
record verifies clean (which the check after every test also shows for every journey of the suite).
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, update

from custody.audit.ledger import current_settings
from custody.audit.verification import verify_item
from custody.extensions import db
from custody.models.item import Item

from ..conftest import login
from ..factories import agency, location, register, stored_items
from ..helpers import fresh
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
    assert code == 0 and lines[0].startswith("OK: the audit record is intact."), lines
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
