"""结案 and transfers: a case is not closed while any of its transfers waits for a decision."""

from __future__ import annotations

import pytest

from custody.domain.enums import CaseStage, TransferKind, TransferStatus
from custody.domain.errors import Conflict
from custody.extensions import db
from custody.services import milestones
from custody.services.transfers import decide_lines, propose_transfer, recall_transfer

from ..factories import act, agency, send_to_procuratorate, stored_items


def close(case):
    closure = milestones.close_case(
        db.session, act("police_officer"), case.id, legal_basis="沪公(浦)撤字[2026]8号", reason="撤销案件"
    )
    db.session.commit()
    return closure


def test_a_pending_file_only_transfer_blocks_closing(app):
    case, _ = stored_items(1)
    file_only = propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=[],
    )
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        close(case)
    assert refused.value.code == "case.transfer_pending"
    db.session.rollback()
    recall_transfer(db.session, act("police_officer"), file_only.id, reason="撤销案件前撤回")
    db.session.commit()
    assert close(case).previous_stage is CaseStage.INVESTIGATION


def test_a_partly_decided_transfer_blocks_closing(app):
    case, stored = stored_items(2)
    transfer = send_to_procuratorate(case, [i.id for i in stored])
    decide_lines(db.session, act("prosecutor"), transfer.id, [stored[0].id], accept=False, reason="封条破损")
    db.session.commit()
    assert transfer.status is TransferStatus.PARTIAL
    with pytest.raises(Conflict) as refused:
        close(case)
    assert refused.value.code == "case.transfer_pending"
