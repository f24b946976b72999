"""Issue 14 on the pages: the receiver of a pending offer signs for its lines without seeing the case."""

from __future__ import annotations

import re

from custody.extensions import db
from custody.services.transfers import decide_lines, recall_transfer

from ..factories import act, agency, send_to_procuratorate, stored_items
from .ui import client_for


def test_the_sign_for_screen_shows_the_lines_not_the_case(app):
    case, [offered, kept] = stored_items(2)
    transfer = send_to_procuratorate(case, [offered.id])
    prosecutor = client_for(app, "prosecutor")
    page = prosecutor.get(f"/transfers/{transfer.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert offered.label_code in html
    assert case.title in html
    assert f'href="/cases/{case.id}"' not in html  # the case itself is not open to the receiver yet
    assert prosecutor.get(f"/items/{offered.id}").status_code == 200
    assert prosecutor.get(f"/items/{kept.id}").status_code == 404
    assert prosecutor.get(f"/cases/{case.id}").status_code == 404
    assert f'href="/cases/{case.id}"' in client_for(app, "police_officer").get(
        f"/transfers/{transfer.id}"
    ).get_data(as_text=True)
    recall_transfer(db.session, act("police_officer"), transfer.id)
    db.session.commit()
    assert prosecutor.get(f"/items/{offered.id}").status_code == 404
    assert prosecutor.get(f"/transfers/{transfer.id}").status_code == 200


def test_the_builder_offers_the_lawful_route_to_an_agency_that_no_longer_handles_the_case(app):
    case, stored = stored_items(1)
    decide_lines(
        db.session, act("prosecutor"), send_to_procuratorate(case, []).id, [], accept=True, case_no="浦检-2"
    )
    db.session.commit()
    html = client_for(app, "police_officer").get(f"/transfers/new?case_id={case.id}").get_data(as_text=True)
    assert '<option selected value="other">' in html or 'value="other" selected' in html
    chosen = re.search(r'<select[^>]*name="to_agency_id".*?</select>', html, re.S).group(0)
    assert f'<option selected value="{agency("PDJC").id}">' in chosen
