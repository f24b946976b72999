"""Errors said once next to their field, and a summary at the top of a failed form."""

from __future__ import annotations

import re

from custody.domain.enums import DispositionKind

from ..factories import close_case, stored_items
from .builders import JUDGMENT, approved_disposition, released_checkout
from .ui import client_for, post, submit, text, text_of, zh


def _flashes(page: str) -> list[str]:
    return [text(m) for m in re.findall(r'<div class="flash flash-error"[^>]*>(.*?)</div>', page, flags=re.S)]


def _field_errors(page: str, field_id: str) -> str:
    match = re.search(rf'<ul class="errors" id="{re.escape(field_id)}-err">(.*?)</ul>', page, flags=re.S)
    return text(match.group(1)) if match else ""


def test_destruction_witness_refusal_is_said_once_at_the_field(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], DispositionKind.DESTROY, legal_basis=JUDGMENT)
    keeper = client_for(app, "police_keeper")
    page = text_of(
        submit(
            keeper,
            f"/dispositions/{disposition.id}",
            "execute",
            receipt_no="销毁记录 1",
            witness="police_officer",
        )
    )
    message = zh("The witness has handled this item and cannot witness its destruction.")
    assert _field_errors(page, "execute-witness").count(message) == 1
    assert not any(message in f for f in _flashes(page))
    assert 'id="error-summary"' in page
    assert 'href="#execute-witness"' in page


def test_return_discrepancy_note_error_is_not_repeated(app):
    case, stored = stored_items(1)
    checkout_id = released_checkout([stored[0].id]).id
    keeper = client_for(app, "police_keeper")
    response = submit(
        keeper,
        f"/checkouts/{checkout_id}",
        "return",
        condition="破损",
        discrepancy="damage",
        discrepancy_note="",
        item_ids=[stored[0].id],
    )
    page = text_of(response)
    print(text(page))
    assert response.status_code == 422
    assert _field_errors(page, "return-discrepancy_note")
    shown = _flashes(page)
    assert len(shown) == len(set(shown))
    assert not any(f == _field_errors(page, "return-discrepancy_note") for f in shown)


def test_a_failed_form_starts_with_a_summary_linking_to_the_fields(app):
    from ..factories import open_case

    case = open_case()
    officer = client_for(app, "police_officer")
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {
            "seizure_list_id": "0",
            "holder_signature": "signed",
            "holder_name": "李某",
            "name": "白色轿车",
            "category": "vehicle",
            "quantity": "1",
            "unit": "辆",
            "measure": "seized",
            "d_vehicle_colour": "白",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    main = page[page.index("<main") :]
    # The summary comes first in the page's content, before the form and its heading.
    assert main.index('id="error-summary"') < main.index("<form")
    assert main.index('id="error-summary"') < main.index("<h1")
    summary = main[main.index('id="error-summary"') : main.index("</div>")]
    assert 'role="alert"' in summary
    assert 'tabindex="-1"' in summary
    assert re.search(r'href="#d_vehicle_(plate|vin)"', summary)
    assert zh("Licence plate") in text(summary) or zh("VIN") in text(summary)
    assert "/static/js/forms.js" in page  # moves the focus to the summary


def test_no_summary_on_a_form_that_was_not_submitted(app):
    from ..factories import open_case

    case = open_case()
    officer = client_for(app, "police_officer")
    assert 'id="error-summary"' not in officer.get(f"/cases/{case.id}/items/new").get_data(as_text=True)


def test_summary_in_english(app):
    from ..factories import open_case

    case = open_case()
    officer = client_for(app, "police_officer")
    post(officer, "/language", {"locale": "en", "next": "/"}, form_page="/")
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {
            "seizure_list_id": "0",
            "holder_signature": "signed",
            "name": "",
            "category": "goods",
            "quantity": "1",
            "unit": "件",
            "measure": "seized",
        },
    )
    assert response.status_code == 422
    summary = text(response.get_data(as_text=True).split('id="error-summary"')[1].split("</div>")[0])
    assert "Please correct the following:" in summary
    assert "Item name: This field is required." in summary
