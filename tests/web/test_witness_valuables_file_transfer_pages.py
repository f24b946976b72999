"""As the user sees them: the destruction witness is
chosen from a list of users who qualify; valuables without photo or value are flagged on the item
page and in the custodian's inbox, and cannot be sent; a stage transfer of the file alone says that
the items stay behind."""

from __future__ import annotations

import re

from sqlalchemy import select

from custody.domain.enums import DispositionKind, DispositionStatus, ItemCategory
from custody.extensions import db
from custody.models.item import Item
from custody.models.lifecycle import Disposition
from custody.models.transfer import Transfer
from custody.services import storage, transfers

from ..conftest import TEST_PASSWORD
from ..factories import (
    act,
    agency,
    close_case,
    location,
    open_case,
    photo,
    register,
    send_to_procuratorate,
    stored_items,
)
from ..helpers import fresh, row_counts
from .builders import JUDGMENT, approved_disposition
from .ui import client_for, post, text, zh

NAME_AGENCY = "%(name)s (%(agency)s)"
VALUABLE_WARNING = "Valuable not yet photographed or valued"
UNDOCUMENTED = (
    "Valuable %(label)s has no photo or no estimated value: photograph and value it "
    "before transferring or disposing of it."
)
FILE_ONLY_SENDER = (
    "Your agency still holds %(count)s items of this case: this transfer sends the case file only, "
    "and the items stay in your agency's custody."
)
FILE_ONLY_OTHERS = (
    "%(agency)s still holds %(count)s items of this case: this transfer sends the case file only, "
    "and the items stay in its custody."
)


def _select(page: str, select_id: str) -> str:
    start = page.index(f'id="{select_id}"')
    return page[page.rindex("<select", 0, start) : page.index("</select>", start)]


def _options(select_html: str) -> dict[str, str]:
    return {
        value: label.strip()
        for value, label in re.findall(r'value="([^"]*)"[^>]*>([^<]*)</option>', select_html)
    }


def _selected(select_html: str) -> list[str]:
    return re.findall(r'<option(?=[^>]*\bselected\b)[^>]*value="([^"]*)"', select_html)


# -- 1. the destruction witness ------------------------------------------------------------------


def test_destruction_witness_is_chosen_from_the_users_who_qualify(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], DispositionKind.DESTROY, legal_basis=JUDGMENT)
    url = f"/dispositions/{disposition.id}"
    keeper = client_for(app, "police_keeper")
    page = keeper.get(url).get_data(as_text=True)
    options = _options(_select(page, "execute-witness"))
    # Real names with their agency, not login names to type.
    assert options["court_keeper"] == zh(NAME_AGENCY, name="郑芳", agency="浦东新区人民法院")
    assert options["prosecutor_approver"] == zh(NAME_AGENCY, name="刘明", agency="浦东新区人民检察院")
    # Nobody from the chain of custody (registered, stored, proposed, approved), nor the keeper himself.
    assert not {"police_officer", "police_approver", "police_keeper"} & set(options)
    assert options[""]  # a prompt first: nobody is chosen for the keeper

    # A validation error keeps the choice.
    response = post(
        keeper,
        url,
        {"execute-receipt_no": "", "execute-witness": "prosecutor_approver", "execute-submit": "1"},
    )
    assert response.status_code == 422
    assert _selected(_select(response.get_data(as_text=True), "execute-witness")) == ["prosecutor_approver"]
    fresh()
    assert db.session.get(Disposition, disposition.id).witness_user_id is None

    response = post(
        keeper,
        url,
        {
            "execute-receipt_no": "销毁记录 2026-9",
            "execute-witness": "prosecutor_approver",
            "execute-witness_password": TEST_PASSWORD,  # the witness confirms with their own password
            "execute-confirmed_item_ids": str(item.id),  # the item in hand, scanned or ticked
            "execute-submit": "1",
        },
    )
    assert response.status_code == 302, text(response)[:2000]
    page = text(keeper.get(url))
    assert "刘明" in page
    assert "浦东新区人民检察院" in page
    fresh()
    assert db.session.get(Item, item.id).disposition_status is DispositionStatus.EXECUTED


def test_no_witness_chosen_is_said_at_the_field(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], DispositionKind.DESTROY, legal_basis=JUDGMENT)
    url = f"/dispositions/{disposition.id}"
    keeper = client_for(app, "police_keeper")
    response = post(
        keeper, url, {"execute-receipt_no": "销毁记录 2026-9", "execute-witness": "", "execute-submit": "1"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="execute-witness-err"' in page
    assert 'value="销毁记录 2026-9"' in page


# -- 2. valuables: photographed and valued --------------------------------------------------------


def _ring(case, **kwargs):
    ring = register(case, name="钻石戒指", category=ItemCategory.VALUABLES, unit="枚", **kwargs)
    storage.check_in(db.session, act("police_keeper"), ring.id, location_id=location("R2-S1-01").id)
    db.session.commit()
    return ring


def test_item_page_warns_about_a_valuable_without_photo_or_value(app):
    case = open_case()
    ring = _ring(case)
    officer = client_for(app, "police_officer")
    url = f"/items/{ring.id}"
    page = officer.get(url).get_data(as_text=True)
    warning = page[page.index('id="valuable-undocumented"') :]
    warning = warning[: warning.index("</div>")]
    assert zh(VALUABLE_WARNING) in warning
    assert zh("No photo of the item is on record.") in warning
    assert 'href="#photos"' in warning
    assert zh("No estimated value is recorded.") in warning
    assert f'href="/corrections/new/{ring.id}?field=estimated_value_fen"' in warning
    # The value correction link opens the correction form for that field.
    assert officer.get(f"/corrections/new/{ring.id}?field=estimated_value_fen").status_code == 200

    photo(ring)
    page = officer.get(url).get_data(as_text=True)
    assert zh(VALUABLE_WARNING) in page
    assert zh("No photo of the item is on record.") not in page
    # Ordinary goods and complete valuables: no warning.
    complete = _ring(case, estimated_value_fen=1_000_000)
    photo(complete)
    goods = register(case, name="帆布包", category=ItemCategory.GOODS, unit="个")
    for item in (complete, goods):
        assert 'id="valuable-undocumented"' not in officer.get(f"/items/{item.id}").get_data(as_text=True)


def test_custodian_officers_see_undocumented_valuables_in_their_inbox(app):
    case = open_case()
    ring = _ring(case, estimated_value_fen=1_000_000)
    home = client_for(app, "police_officer").get("/").get_data(as_text=True)
    queue = home[home.index('id="queue-valuables"') :]
    queue = queue[: queue.index("</section>")]
    assert zh("Valuables without photo or value") in queue
    assert ring.label_code in queue
    assert zh("Photo") in queue  # what is missing
    # Not another agency's officers.
    assert ring.label_code not in client_for(app, "prosecutor").get("/").get_data(as_text=True)
    photo(ring)
    home = client_for(app, "police_officer").get("/").get_data(as_text=True)
    queue = home[home.index('id="queue-valuables"') :]
    assert ring.label_code not in queue[: queue.index("</section>")]


def test_transfer_builder_refuses_an_undocumented_valuable_naming_it(app):
    case = open_case()
    ring = _ring(case, estimated_value_fen=1_000_000)  # valued, but not photographed
    # The file went on alone; the police send the items they still hold after it.
    transfers.decide_lines(
        db.session, act("prosecutor"), send_to_procuratorate(case, []).id, [], accept=True, case_no="浦检-1"
    )
    db.session.commit()
    officer = client_for(app, "police_officer")
    builder = f"/transfers/new?case_id={case.id}"
    before = row_counts(Transfer)
    response = post(
        officer,
        builder,
        {"kind": "other", "to_agency_id": agency("PDJC").id, "note": "", "item_ids": [ring.id]},
    )
    assert response.status_code == 409
    assert zh(UNDOCUMENTED, label=ring.label_code) in text(response)
    assert row_counts(Transfer) == before


# -- 3. a stage transfer of the case file alone --------------------------------------------------


def _warning_tag(page: str) -> str:
    start = page.index('id="file-only-warning"')
    return page[page.rindex("<div", 0, start) : page.index(">", start)]


def test_builder_warns_before_a_file_only_stage_transfer(app):
    case = open_case()
    for n in range(2):  # registered, not yet received into storage: none can be ticked
        register(case, name=f"涉案物品{n + 1}", category=ItemCategory.GOODS, unit="件")
    officer = client_for(app, "police_officer")
    response = officer.get(f"/transfers/new?case_id={case.id}")
    page = response.get_data(as_text=True)
    assert " hidden" not in _warning_tag(page)
    assert zh(FILE_ONLY_SENDER, count=2) in text(response)

    # Items ticked by default: the warning is there for the script, hidden.
    stored_case, _stored = stored_items(2)
    page = officer.get(f"/transfers/new?case_id={stored_case.id}").get_data(as_text=True)
    assert " hidden" in _warning_tag(page)
    # An agency holding nothing of the case: no warning at all.
    nothing = open_case()
    assert 'id="file-only-warning"' not in officer.get(f"/transfers/new?case_id={nothing.id}").get_data(
        as_text=True
    )


def test_file_only_stage_transfer_is_allowed_and_the_transfer_page_says_so(app):
    case, _stored = stored_items(2)
    officer = client_for(app, "police_officer")
    response = post(
        officer,
        f"/transfers/new?case_id={case.id}",
        {"kind": "prosecution", "to_agency_id": agency("PDJC").id, "note": ""},
    )
    assert response.status_code == 302, text(response)[:2000]
    fresh()
    transfer = db.session.scalar(select(Transfer).where(Transfer.case_id == case.id))
    assert transfer.lines == []
    url = f"/transfers/{transfer.id}"
    assert zh(FILE_ONLY_SENDER, count=2) in text(officer.get(url))
    prosecutor_page = text(client_for(app, "prosecutor").get(url))
    assert zh(FILE_ONLY_OTHERS, agency="浦东公安分局", count=2) in prosecutor_page
