"""Printed records (issue 18): the 处置执行记录 of a confiscation, hand-over or early sale from the
disposal page, and the 抽查记录 from the spot-check page; each print on the security record."""

from __future__ import annotations

from custody.domain.enums import DispositionKind
from custody.domain.spot_checks import SpotCheckResult
from custody.extensions import db
from custody.models.oversight import SpotCheck
from custody.services import dispositions

from ..factories import act, close_case, stored_items
from ..helpers import events, fresh
from .builders import JUDGMENT, _draw, approved_disposition
from .ui import client_for, get, pdf_text, zh


def test_a_confiscation_prints_its_execution_record_with_the_items_and_signature_lines(app):
    case, [item] = stored_items(1)
    close_case(case)
    disposition = approved_disposition([item.id], DispositionKind.CONFISCATE, legal_basis=JUDGMENT)
    url = f"/dispositions/{disposition.id}"
    keeper = client_for(app, "police_keeper")
    assert f"{url}/execution-record.pdf" in get(keeper, url)  # printed to take along, once approved
    dispositions.execute_disposition(
        db.session,
        act("police_keeper"),
        disposition.id,
        receipt_no="国库回执 2026-3",
        confirmed_item_ids=[item.id],
    )
    db.session.commit()
    response = keeper.get(f"{url}/execution-record.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for needle in (
        "涉案财物处置执行记录",
        disposition.disposition_no,
        item.label_code,
        "没收",
        "国库回执2026-3",
    ):
        assert needle.replace(" ", "") in text.replace(" ", ""), needle
    assert "执行人（签名）" in text
    assert "接收单位（签名）" in text
    assert "见证人（签名）" in text
    [printed] = events("export", object_type="disposition", object_id=str(disposition.id))
    assert printed.data["document"] == "execution_record"


def test_no_execution_record_for_a_destruction_or_a_stranger(app):
    case, [item] = stored_items(1)
    close_case(case)
    destroy = approved_disposition([item.id], DispositionKind.DESTROY, legal_basis=JUDGMENT)
    keeper = client_for(app, "police_keeper")
    page = get(keeper, f"/dispositions/{destroy.id}")
    assert "execution-record.pdf" not in page
    assert "destruction-record.pdf" in page
    refused = keeper.get(f"/dispositions/{destroy.id}/execution-record.pdf")
    assert refused.status_code == 409
    assert (
        client_for(app, "court_keeper").get(f"/dispositions/{destroy.id}/execution-record.pdf").status_code
        == 404
    )


def test_a_spot_check_prints_its_record_with_the_draw_and_the_inspectors(app):
    stored_items(3)
    check = _draw(app)
    auditor = client_for(app, "auditor")
    page = auditor.get(f"/oversight/spot-checks/{check.id}").get_data(as_text=True)
    assert f"/oversight/spot-checks/{check.id}/record.pdf" in page
    response = auditor.get(f"/oversight/spot-checks/{check.id}/record.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    fresh()
    check = db.session.get(SpotCheck, check.id)
    assert "涉案财物抽查记录" in text
    assert check.check_no in text
    assert check.seed in text.replace(" ", "")
    for line in check.items:
        assert line.label_code in text
        assert line.inspector.display_name in text
    assert "检查人（签名）" in text
    assert "保管单位保管员（签名）" in text
    assert zh(SpotCheckResult.PENDING.label) in text  # nothing recorded yet
    [printed] = events("export", object_type="spot_check", object_id=str(check.id))
    assert printed.data["document"] == "spot_check_record"
    # An inspector prints only their own lines; someone outside the check gets no record.
    line = check.items[0]
    inspector = client_for(app, line.inspector.username)
    own = pdf_text(inspector.get(f"/oversight/spot-checks/{check.id}/record.pdf").data)
    assert line.label_code in own
    assert client_for(app, "police_officer").get(
        f"/oversight/spot-checks/{check.id}/record.pdf"
    ).status_code in (
        403,
        404,
    )
