"""One zero-padding scheme (issue 18, polish): the label printed on an item and the lists it is on
end in a counter of the same width (PDGA-2026-000001 and QD-PDGA-2026-000001, not …-00001)."""

from __future__ import annotations

import re

from custody.extensions import db
from custody.services import numbers, storage

from ..factories import act, location, open_case, register, send_to_procuratorate
from .ui import client_for, pdf_text

COUNTER = re.compile(r"(?:[A-Z]{2}-)?[A-Z]{2,6}-20\d\d-(\d+)")


def test_labels_and_lists_pad_their_numbers_alike(app):
    case = open_case()
    item = register(case)
    storage.check_in(db.session, act("police_keeper"), item.id, location_id=location("R3-A-01").id)
    db.session.commit()
    transfer = send_to_procuratorate(case, [item.id])
    officer = client_for(app, "police_officer")

    label = pdf_text(officer.get(f"/items/labels.pdf?item_ids={item.id}").data)
    seizure_list = pdf_text(officer.get(f"/cases/{case.id}/seizure-lists/{item.seizure_list_id}.pdf").data)
    transfer_list = pdf_text(officer.get(f"/transfers/{transfer.id}.pdf").data)
    printed = {
        "label": item.label_code,
        "seizure list": item.seizure_list.list_no,
        "transfer list": transfer.transfer_no,
    }
    assert item.label_code in label
    assert item.seizure_list.list_no in seizure_list
    assert transfer.transfer_no in transfer_list
    widths = {what: len(COUNTER.fullmatch(number).group(1)) for what, number in printed.items()}
    assert set(widths.values()) == {numbers.DIGITS}, printed
