"""A sign-for that means it (issue 18): lines start undecided, every line is decided before the
submission is taken (the server refuses otherwise: 请逐项核对), a transfer with a rejected line says
部分拒收, and the transfer list has a search and a 新建移送 button."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from custody.domain.enums import LineDecision
from custody.domain.errors import InvalidInput
from custody.extensions import db
from custody.models.audit import AuditEvent
from custody.models.transfer import Transfer
from custody.services import transfers

from ..factories import act, send_to_procuratorate, stored_items
from ..helpers import fresh, row_counts
from .ui import client_for, post, text


def test_lines_start_undecided_and_a_submission_with_an_undecided_line_is_refused(app):
    case, stored = stored_items(2)
    transfer = send_to_procuratorate(case, [i.id for i in stored])
    prosecutor = client_for(app, "prosecutor")
    screen = f"/transfers/{transfer.id}"
    page = prosecutor.get(screen).get_data(as_text=True)
    assert 'name="decision-' in page
    assert not re.search(r"<input[^>]*checked", page)
    assert "Decide later" not in page
    assert "暂不决定" not in page
    before = row_counts(AuditEvent)
    response = post(
        prosecutor, screen, {f"decision-{stored[0].id}": "accept", "case_no": "浦检刑诉[2026]91号"}
    )
    assert response.status_code == 422
    assert "请逐项核对" in text(response)
    assert "还有 1 项" in text(response)
    fresh()
    assert row_counts(AuditEvent) == before
    assert all(line.decision is LineDecision.PENDING for line in db.session.get(Transfer, transfer.id).lines)


def test_the_service_refuses_a_sign_for_that_leaves_lines_undecided(app):
    case, stored = stored_items(2)
    transfer = send_to_procuratorate(case, [i.id for i in stored])
    with pytest.raises(InvalidInput) as undecided:
        transfers.sign_for(
            db.session,
            act("prosecutor"),
            transfer.id,
            accepted=[stored[0].id],
            rejected={},
            case_no="浦检[2026]1号",
        )
    assert undecided.value.code == "transfer.lines_undecided"
    db.session.rollback()
    transfers.sign_for(
        db.session,
        act("prosecutor"),
        transfer.id,
        accepted=[stored[0].id],
        rejected={stored[1].id: "数量不符"},
        case_no="浦检[2026]1号",
    )
    db.session.commit()
    decisions = [line.decision for line in db.session.get(Transfer, transfer.id).lines]
    assert decisions == [LineDecision.ACCEPTED, LineDecision.REJECTED]


def test_a_transfer_with_a_rejected_line_is_partly_rejected_and_the_list_finds_it(app):
    case, stored = stored_items(2)
    transfer = send_to_procuratorate(case, [i.id for i in stored])
    transfers.sign_for(
        db.session,
        act("prosecutor"),
        transfer.id,
        accepted=[stored[0].id],
        rejected={stored[1].id: "封条破损"},
        case_no="浦检[2026]2号",
    )
    db.session.commit()
    officer = client_for(app, "police_officer")
    page = officer.get(f"/transfers/{transfer.id}").get_data(as_text=True)
    assert "部分拒收" in text(page), page[page.index("<h1") : page.index("</h1>") + 5]
    listing = text(officer.get("/transfers/"))
    assert "部分拒收" in listing
    assert "新建移送" in listing
    found = text(officer.get(f"/transfers/?q={transfer.transfer_no}"))
    assert transfer.transfer_no in found
    by_label = text(officer.get(f"/transfers/?q={stored[1].label_code}"))
    assert transfer.transfer_no in by_label
    assert transfer.transfer_no not in text(officer.get("/transfers/?q=没有这个案件"))
    other = db.session.scalar(select(Transfer).where(Transfer.id != transfer.id).limit(1))
    assert other is None or other.transfer_no not in found
