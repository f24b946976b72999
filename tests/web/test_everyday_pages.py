"""Everyday pages: spot-check results, links to milestones and proofs,
error summaries, readable names instead of internal ids."""

from __future__ import annotations

import re

from custody.domain.enums import ItemCategory
from custody.extensions import db
from custody.models.oversight import SpotCheck

from ..conftest import TEST_PASSWORD
from ..factories import stored_items
from ..helpers import fresh
from .builders import _draw
from .ui import client_for, post, text, zh


def test_spot_check_result_form_posts_one_item_id_and_saves(app):
    stored_items(3)
    check = _draw(app)
    line = check.items[0]
    inspector = client_for(app, line.inspector.username)
    page = inspector.get(f"/oversight/spot-checks/{check.id}").get_data(as_text=True)
    form = page[page.index('class="result-form"') :]
    form = form[: form.index("</form>")]
    assert form.count('name="item_id"') == 1
    assert f'name="item_id" value="{line.item_id}"' in form
    recorded = post(
        inspector,
        f"/oversight/spot-checks/{check.id}",
        {"item_id": line.item_id, "result": "conforming", "finding": ""},
    )
    assert recorded.status_code == 302
    fresh()
    assert line.result.value == "conforming"


def test_spot_check_refusal_is_shown(app):
    stored_items(3)
    check = _draw(app)
    line = check.items[0]
    inspector = client_for(app, line.inspector.username)
    # A non-conforming result needs a finding (the service says so), an unknown result is a shape error.
    refused = post(
        inspector, f"/oversight/spot-checks/{check.id}", {"item_id": line.item_id, "result": "bogus"}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="error-summary"' in html
    assert 'role="alert"' in html
    assert f'href="#result-{line.item_id}"' in html
    missing = post(inspector, f"/oversight/spot-checks/{check.id}", {"item_id": "", "result": "conforming"})
    assert missing.status_code == 422
    assert "flash-error" in missing.get_data(as_text=True)


def test_inspector_inbox_lists_spot_check_items(app):
    stored_items(3)
    check = _draw(app)
    line = check.items[0]
    inspector = client_for(app, line.inspector.username)
    home = inspector.get("/").get_data(as_text=True)
    assert 'id="queue-inspections"' in home
    assert zh("Spot-check items to inspect") in text(home)
    assert line.label_code in home
    assert check.check_no in home
    assert f"/oversight/spot-checks/{check.id}#line-{line.item_id}" in home


def test_case_page_links_the_milestones_page(app):
    from ..factories import open_case

    case = open_case()
    for username in ("police_officer", "auditor"):
        page = client_for(app, username).get(f"/cases/{case.id}").get_data(as_text=True)
        assert f'href="/oversight/cases/{case.id}"' in page, username
        assert zh("Case deadlines and milestones") in text(page)


def test_audit_links_for_the_auditor_only(app):
    case, [item] = stored_items(1)
    auditor = client_for(app, "auditor")
    for path, key in ((f"/items/{item.id}", "item_id"), (f"/cases/{case.id}", "case_id")):
        page = auditor.get(path).get_data(as_text=True)
        subject = item.id if key == "item_id" else case.id
        assert f'href="/api/v1/audit/dossier?{key}={subject}"' in page, path
        assert f'href="/api/v1/audit/certificate?{key}={subject}"' in page, path
        assert zh("Download the evidence dossier (JSON)") in text(page)
        assert zh("Chain-of-custody certificate (PDF)") in text(page)
        officer_page = client_for(app, "police_officer").get(path).get_data(as_text=True)
        assert "/api/v1/audit/dossier" not in officer_page
        assert "/api/v1/audit/certificate" not in officer_page
    dossier = auditor.get(f"/api/v1/audit/dossier?item_id={item.id}")
    assert dossier.status_code == 200
    assert dossier.is_json
    certificate = auditor.get(f"/api/v1/audit/certificate?case_id={case.id}")
    assert certificate.status_code == 200
    assert certificate.mimetype == "application/pdf"


def test_corrected_badge_sits_on_the_corrected_detail(app):
    from custody.services import corrections

    from ..factories import act, open_case, register

    case = open_case()
    item = register(
        case,
        name="笔记本电脑",
        category=ItemCategory.ELECTRONICS,
        unit="台",
        details={"brand_model": "ThinkPad X1", "serial_no": "A1"},
    )
    correction = corrections.propose_correction(
        db.session,
        act("police_officer"),
        item_id=item.id,
        field="details",
        new_value={**item.details, "serial_no": "B2"},
        reason="抄错",
    )
    db.session.commit()
    corrections.decide_correction(db.session, act("police_approver"), correction.id, approve=True)
    db.session.commit()
    page = client_for(app, "police_officer").get(f"/items/{item.id}").get_data(as_text=True)
    rows = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page, flags=re.S))
    brand, serial = zh("Brand and model"), zh("Serial number")
    assert f"/corrections/{correction.id}" in rows[serial]
    assert "B2" in rows[serial]
    assert f"/corrections/{correction.id}" not in rows[brand]


def test_a_destroyed_item_shows_custody_ended(app):
    from custody.domain.enums import DispositionKind
    from custody.services import dispositions

    from ..factories import act, close_case
    from .builders import JUDGMENT, approved_disposition

    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], DispositionKind.DESTROY, legal_basis=JUDGMENT)
    dispositions.execute_disposition(
        db.session,
        act("police_keeper"),
        disposition.id,
        receipt_no="销毁记录 9",
        witness="court_keeper",
        witness_password=TEST_PASSWORD,
    )
    db.session.commit()
    officer = client_for(app, "police_officer")
    page = text(officer.get(f"/items/{item.id}"))
    held = zh("Held")
    custody_card = page[
        page.index(zh("Custody ended")) : page.index(zh("Location"), page.index(zh("Custody ended")))
    ]
    assert held not in custody_card
    assert item.custodian_agency.name in custody_card
    listing = text(officer.get(f"/items/?case_id={case.id}"))
    assert zh("%(agency)s (until disposal)", agency=item.custodian_agency.name) in listing


def test_auditor_feed_links_are_label_codes(app):
    _, [item] = stored_items(1)
    home = client_for(app, "auditor").get("/").get_data(as_text=True)
    feed = home[home.index('id="q-activity"') :]
    assert f">{item.label_code}</a>" in feed
    assert not re.search(r">#\d+</a>", feed)


def test_approver_inbox_names_the_corrected_field(app):
    from custody.services import corrections

    from ..factories import act

    _, [item] = stored_items(1)
    corrections.propose_correction(
        db.session,
        act("police_officer"),
        item_id=item.id,
        field="features",
        new_value="左侧划痕",
        reason="漏记",
    )
    db.session.commit()
    home = text(client_for(app, "police_approver").get("/"))
    assert zh("Correct: %(field)s", field=zh("Features (特征)")) in home
    assert item.label_code in home
    assert "#1" not in home


def test_spot_check_is_scoped_by_the_police_case_number(app):
    case, _ = stored_items(2)
    auditor = client_for(app, "auditor")
    form = auditor.get("/oversight/spot-checks").get_data(as_text=True)
    assert 'name="case_no"' in form
    assert f'<option value="{case.police_case_no}">' in form
    unknown = post(auditor, "/oversight/spot-checks", {"size": 1, "case_no": "沪公(浦)立字[1999]1号"})
    assert unknown.status_code == 422
    assert zh("No case has this number.") in text(unknown)
    assert 'id="case_no-err"' in unknown.get_data(as_text=True)
    drawn = post(auditor, "/oversight/spot-checks", {"size": 1, "case_no": case.police_case_no})
    assert drawn.status_code == 302, text(drawn)[:1500]
    fresh()
    check = db.session.query(SpotCheck).one()
    assert check.scope == {"case_id": case.id}
    page = text(auditor.get(f"/oversight/spot-checks/{check.id}"))
    assert case.police_case_no in page
    assert "case_id=" not in page


def test_rule_sources_are_readable(app):
    from datetime import timedelta

    from custody.domain import clock as app_clock

    from ..factories import open_case, register

    register(open_case(), seized_at=app_clock.now() - timedelta(hours=30))
    for username, path in (("police_keeper", "/oversight/alerts"), ("police_approver", "/oversight/")):
        page = text(client_for(app, username).get(path))
        assert "[LAW]" not in page, path
        assert "[DESIGN]" not in page, path
        assert "hand-over within 24 hours" not in page, path
        assert (
            zh("Provisions on the Management of Property Involved in Cases by Public Security Organs (2015)")
            in page
        )


def test_spot_check_method_is_a_technical_note(app):
    stored_items(2)
    check = _draw(app, 1)
    page = client_for(app, "auditor").get(f"/oversight/spot-checks/{check.id}").get_data(as_text=True)
    details = page[page.index("<details") : page.index("</details>")]
    assert check.algorithm in details
    assert zh("Technical note") in details


def test_stocktake_scan_answer_updates_the_row_and_notices_a_rescan(app):
    from custody.models.oversight import Stocktake

    from ..factories import location

    _, stored = stored_items(2)
    keeper = client_for(app, "police_keeper")
    started = post(keeper, "/oversight/stocktakes", {"location_id": location("R1-A").id, "note": ""})
    assert started.status_code == 302
    fresh()
    record = db.session.query(Stocktake).one()
    url = f"/oversight/stocktakes/{record.id}"
    page = keeper.get(url).get_data(as_text=True)
    assert f'<tr data-label="{stored[0].label_code}"' in page
    assert 'data-cell="result"' in page
    assert 'data-cell="time"' in page
    assert 'class="field wide scan-place"' in page

    def scan(code: str):
        return post(
            keeper,
            f"{url}/scan",
            {"label_code": code, "location_id": location("R1-A-01").id},
            form_page=url,
            headers={"Accept": "application/json"},
        )

    first = scan(stored[0].label_code).json
    assert first["ok"]
    assert not first["rescan"]
    assert first["scanned_at"]
    assert first["name"] == stored[0].name
    assert first["found_at"]
    again = scan(stored[0].label_code).json
    assert again["rescan"]
    assert again["scan_count"] == 2
    assert again["message"] == zh(
        "%(code)s: scanned again (%(count)s times): %(result)s",
        code=stored[0].label_code,
        count=2,
        result=again["result_label"],
    )
    page = keeper.get(url).get_data(as_text=True)
    row = page[page.index(f'<tr data-label="{stored[0].label_code}"') :]
    row = row[: row.index("</tr>")]
    assert again["result_label"] in row
    assert again["scanned_at"] in row
    script = keeper.get("/static/js/stocktake.js").get_data(as_text=True)
    assert "updateRow" in script
    assert "data-label" in script


def test_wording_new_transfer_and_holder_lookup_code(app):
    _, [item] = stored_items(1)
    page = text(client_for(app, "police_officer").get(f"/items/{item.id}"))
    assert zh("Start a new transfer") in page
    lookup = text(app.test_client().get("/lookup"))
    # One field for a holder's and a victim's code since victims look up too; the hint names the holder's.
    assert zh("Lookup code") in lookup
    assert "持有人查询码" in lookup
    assert "核对码" not in lookup


def test_a_date_error_is_listed_with_its_label(app):
    from datetime import timedelta

    from ..factories import open_case
    from .ui import local_input

    case = open_case()
    officer = client_for(app, "police_officer")
    response = post(
        officer,
        f"/cases/{case.id}/items/new",
        {
            "seizure_list_id": "0",
            "holder_signature": "signed",
            "holder_name": "王某",
            "name": "铁锤",
            "category": "goods",
            "quantity": "1",
            "unit": "件",
            "measure": "seized",
            "seized_at": local_input(timedelta(days=2)),
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = text(page[page.index('id="error-summary"') :].split("</div>")[0])
    assert zh("In the future.") in summary
    assert 'href="#seized_at"' in page
