"""The court's and prosecutor's view (issue 18) at the service layer: a check-out of items of two
custodians is refused naming the lines that do not belong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custody.domain import clock as app_clock
from custody.domain.enums import DispositionKind, TransferKind
from custody.domain.errors import InvalidInput
from custody.domain.lifecycle import CheckoutPurpose, RecordLine, out_of_place_lines
from custody.extensions import db
from custody.models.item import Item
from custody.services import checkouts, dispositions, transfers

from ..factories import act, agency, handed_to_procuratorate, judge_case, stored_items

LAB = checkouts.CounterpartyInput(name="上海市公安局物证鉴定中心", kind=checkouts.CounterpartyKind.LAB)


def test_out_of_place_lines_keep_the_acting_agencys_items():
    lines = [RecordLine(1, 10, 2), RecordLine(2, 10, 1), RecordLine(3, 10, 1), RecordLine(4, 11, 1)]
    assert [line.item_id for line in out_of_place_lines(lines, 1)] == [1, 4]
    # An agency holding none of them: the first item's case and custodian are kept.
    assert [line.item_id for line in out_of_place_lines(lines, 9)] == [2, 3, 4]
    assert out_of_place_lines(lines[1:3], 1) == []
    assert out_of_place_lines([], 1) == []


def test_a_check_out_of_two_custodians_names_the_offending_line(app):
    case, [mine, theirs, also_mine] = stored_items(3)
    handed_to_procuratorate(case, [theirs.id])
    assert db.session.get(Item, theirs.id).custodian_agency_id == agency("PDJC").id
    with pytest.raises(InvalidInput) as refused:
        checkouts.request_checkout(
            db.session,
            act("police_officer"),
            item_ids=[mine.id, theirs.id, also_mine.id],
            purpose=CheckoutPurpose.APPRAISAL,
            counterparty=LAB,
            due_at=app_clock.now() + timedelta(hours=48),
        )
    db.session.rollback()
    assert refused.value.fields == {"item_ids": ["Items of different cases or custodians."]}
    assert refused.value.extra["lines"] == [
        {"item_id": theirs.id, "case_id": case.id, "custodian_agency_id": agency("PDJC").id}
    ]
    # Without that line the same request goes through.
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=[mine.id, also_mine.id],
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=LAB,
        due_at=app_clock.now() + timedelta(hours=48),
    )
    db.session.commit()
    assert [line.item_id for line in checkout.lines] == [mine.id, also_mine.id]


# -- 4. the approvers' opinions ---------------------------------------------------------------------


def requested(item_ids):
    checkout = checkouts.request_checkout(
        db.session,
        act("police_officer"),
        item_ids=item_ids,
        purpose=CheckoutPurpose.APPRAISAL,
        counterparty=LAB,
        due_at=app_clock.now() + timedelta(hours=48),
    )
    db.session.commit()
    return checkout


def test_the_approvers_opinion_on_a_check_out_and_a_disposal(app):
    case, [a, b, c] = stored_items(3)
    pending = requested([a.id])
    assert checkouts.approval_opinion(db.session, pending) is None
    checkouts.decide_checkout(
        db.session, act("police_approver"), pending.id, approve=True, reason="同意，鉴定后当日归还"
    )
    db.session.commit()
    assert checkouts.approval_opinion(db.session, pending) == "同意，鉴定后当日归还"
    # Another check-out of another item: its own opinion, not the first one's.
    silent = requested([b.id])
    checkouts.decide_checkout(db.session, act("police_approver"), silent.id, approve=True)
    db.session.commit()
    assert checkouts.approval_opinion(db.session, silent) is None
    refused = requested([c.id])
    checkouts.decide_checkout(
        db.session, act("police_approver"), refused.id, approve=False, reason="事由不明"
    )
    db.session.commit()
    assert checkouts.approval_opinion(db.session, refused) == "事由不明"

    judge_case(case)
    disposal = dispositions.propose_disposition(
        db.session, act("police_officer"), item_ids=[b.id], kind=DispositionKind.CONFISCATE
    )
    db.session.commit()
    assert dispositions.approval_opinion(db.session, disposal) is None
    dispositions.decide_disposition(
        db.session, act("police_approver"), disposal.id, approve=True, reason="依判决没收，同意"
    )
    db.session.commit()
    assert dispositions.approval_opinion(db.session, disposal) == "依判决没收，同意"


# -- 2. the disposal form starts from the transfer's proposal ---------------------------------------


def test_proposed_disposals_are_those_of_the_transfer_that_brought_the_items(app):
    case, [a, b, c] = stored_items(3)
    transfer = transfers.propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.PROSECUTION,
        item_ids=[a.id, b.id, c.id],
        lines={
            a.id: transfers.LineInput(proposed_disposition=DispositionKind.CONFISCATE),
            b.id: transfers.LineInput(proposed_disposition=DispositionKind.RETURN_TO_OWNER),
        },
    )
    db.session.commit()
    items = [db.session.get(Item, i.id) for i in (a, b, c)]
    assert transfers.proposed_disposals(db.session, items) == {}  # not accepted yet
    transfers.decide_lines(
        db.session,
        act("prosecutor"),
        transfer.id,
        [a.id, b.id, c.id],
        accept=True,
        case_no="浦检刑诉[2026]1号",
    )
    db.session.commit()
    items = [db.session.get(Item, i.id) for i in (a, b, c)]
    assert transfers.proposed_disposals(db.session, items) == {
        a.id: DispositionKind.CONFISCATE,
        b.id: DispositionKind.RETURN_TO_OWNER,
    }
    # Sent on to the court without a proposal: the court starts from nothing for that item.
    indictment = transfers.propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=[a.id],
    )
    db.session.commit()
    transfers.decide_lines(
        db.session, act("judge"), indictment.id, [a.id], accept=True, case_no="(2026)沪0115刑初1号"
    )
    db.session.commit()
    items = [db.session.get(Item, i.id) for i in (a, b, c)]
    assert transfers.proposed_disposals(db.session, items) == {b.id: DispositionKind.RETURN_TO_OWNER}
