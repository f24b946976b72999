"""Transfer rules without a database: routes, stages, limits, statuses, case numbers."""

from __future__ import annotations

import pytest

from custody.domain.enums import AgencyKind, CaseStage, LineDecision, TransferKind, TransferStatus
from custody.domain.errors import Conflict, InvalidInput
from custody.domain.transfers import (
    check_case_number,
    check_items_receivable,
    check_recall,
    check_reject_reason,
    check_route,
    status_after,
)

P, J, C = AgencyKind.POLICE, AgencyKind.PROCURATORATE, AgencyKind.COURT


def route(kind, from_kind, to_kind, stage, *, rounds=0, items=1, same=False, sender_handles=None):
    """By default the natural handlers: the sender handles the case for a stage transfer; for an
    items-only transfer the receiver does."""
    if sender_handles is None:
        sender_handles = kind is not TransferKind.OTHER
    return check_route(
        kind,
        from_kind=from_kind,
        to_kind=to_kind,
        same_agency=same,
        case_stage=stage,
        supplementary_rounds=rounds,
        item_count=items,
        sender_handles_case=sender_handles,
        receiver_handles_case=not sender_handles,
    )


def test_the_three_legal_routes():
    route(TransferKind.PROSECUTION, P, J, CaseStage.INVESTIGATION)
    route(TransferKind.INDICTMENT, J, C, CaseStage.PROSECUTION_REVIEW)
    route(TransferKind.SUPPLEMENTARY_INVESTIGATION, J, P, CaseStage.PROSECUTION_REVIEW, items=0)
    route(TransferKind.OTHER, P, J, CaseStage.PROSECUTION_REVIEW)  # items left behind follow the case


def test_items_only_transfers_go_only_to_the_agency_handling_the_case():
    """Issue 14: "other" transfers only along lawful routes — items follow the case (随案移送)."""
    for from_kind, to_kind in ((P, J), (J, C), (P, C), (C, C), (P, P)):
        route(TransferKind.OTHER, from_kind, to_kind, CaseStage.TRIAL)
    with pytest.raises(InvalidInput) as from_handler:  # the handler sends with the case, by a stage transfer
        route(TransferKind.OTHER, P, J, CaseStage.INVESTIGATION, sender_handles=True)
    assert from_handler.value.code == "transfer.wrong_route"
    with pytest.raises(InvalidInput) as bystander:  # neither side handles the case
        check_route(
            TransferKind.OTHER,
            from_kind=P,
            to_kind=C,
            same_agency=False,
            case_stage=CaseStage.PROSECUTION_REVIEW,
            supplementary_rounds=0,
            item_count=1,
            sender_handles_case=False,
            receiver_handles_case=False,
        )
    assert bystander.value.code == "transfer.wrong_route"
    check_items_receivable(TransferKind.OTHER, receiver_handles_case=True)
    check_items_receivable(TransferKind.PROSECUTION, receiver_handles_case=False)  # stage: checked apart
    with pytest.raises(Conflict) as moved_on:
        check_items_receivable(TransferKind.OTHER, receiver_handles_case=False)
    assert moved_on.value.code == "transfer.receiver_not_handler"


@pytest.mark.parametrize(
    ("kind", "from_kind", "to_kind"),
    [
        (TransferKind.PROSECUTION, P, C),
        (TransferKind.PROSECUTION, J, J),
        (TransferKind.INDICTMENT, P, C),
        (TransferKind.SUPPLEMENTARY_INVESTIGATION, J, C),
    ],
)
def test_wrong_routes_are_refused(kind, from_kind, to_kind):
    with pytest.raises(InvalidInput) as refused:
        route(kind, from_kind, to_kind, CaseStage.INVESTIGATION)
    assert refused.value.code == "transfer.wrong_route"


def test_stage_preconditions_and_limits():
    with pytest.raises(Conflict):
        route(TransferKind.INDICTMENT, J, C, CaseStage.INVESTIGATION)
    with pytest.raises(Conflict):
        route(TransferKind.OTHER, P, P, CaseStage.CLOSED)
    route(TransferKind.SUPPLEMENTARY_INVESTIGATION, J, P, CaseStage.PROSECUTION_REVIEW, rounds=1)
    with pytest.raises(Conflict) as limit:
        route(TransferKind.SUPPLEMENTARY_INVESTIGATION, J, P, CaseStage.PROSECUTION_REVIEW, rounds=2)
    assert limit.value.code == "transfer.supplementary_limit"
    route(TransferKind.PROSECUTION, P, J, CaseStage.INVESTIGATION, items=0)  # the file alone
    with pytest.raises(InvalidInput):
        route(TransferKind.OTHER, P, P, CaseStage.INVESTIGATION, items=0)
    with pytest.raises(InvalidInput):
        route(TransferKind.OTHER, P, P, CaseStage.INVESTIGATION, same=True)


def test_status_after_decisions():
    A, R, X, W = LineDecision.ACCEPTED, LineDecision.REJECTED, LineDecision.RECALLED, LineDecision.PENDING
    assert status_after([W, W]) is TransferStatus.PENDING
    assert status_after([A, W]) is TransferStatus.PARTIAL
    assert status_after([A, R]) is TransferStatus.COMPLETED
    assert status_after([X, X]) is TransferStatus.RECALLED


def test_recall_and_reject_reason():
    check_recall(TransferStatus.PENDING)
    for status in (TransferStatus.PARTIAL, TransferStatus.COMPLETED, TransferStatus.RECALLED):
        with pytest.raises(Conflict):
            check_recall(status)
    assert check_reject_reason("  封条破损 ") == "封条破损"
    for bad in (None, "", "   ", "x" * 501):
        with pytest.raises(InvalidInput):
            check_reject_reason(bad)


def test_receiving_case_number():
    with pytest.raises(InvalidInput) as missing:
        check_case_number(TransferKind.PROSECUTION, None, None)
    assert "case_no" in missing.value.fields
    assert check_case_number(TransferKind.PROSECUTION, None, "浦检[2026]1号") == "浦检[2026]1号"
    assert check_case_number(TransferKind.PROSECUTION, "已有", None) is None
    assert check_case_number(TransferKind.SUPPLEMENTARY_INVESTIGATION, None, None) is None


def test_a_sign_for_decides_every_undecided_line():
    from custody.domain.transfers import check_every_line_decided

    check_every_line_decided([1, 2], [2, 1])
    check_every_line_decided([], [])
    with pytest.raises(InvalidInput) as undecided:
        check_every_line_decided([1, 2, 3], [2])
    assert undecided.value.code == "transfer.lines_undecided"
    assert undecided.value.extra == {"undecided_item_ids": [1, 3]}
    assert undecided.value.params == {"count": 2}


def test_a_completed_transfer_with_a_rejected_line_is_partly_rejected():
    from custody.domain.transfers import TransferOutcome, outcome

    A, R, P = LineDecision.ACCEPTED, LineDecision.REJECTED, LineDecision.PENDING
    assert outcome(TransferStatus.PENDING, [P, P]) is TransferOutcome.AWAITING
    assert outcome(TransferStatus.PARTIAL, [A, P]) is TransferOutcome.PARTLY_DECIDED
    assert outcome(TransferStatus.COMPLETED, [A, A]) is TransferOutcome.SIGNED_FOR
    assert outcome(TransferStatus.COMPLETED, [A, R]) is TransferOutcome.PARTLY_REJECTED
    assert outcome(TransferStatus.COMPLETED, [R, R]) is TransferOutcome.REJECTED
    assert outcome(TransferStatus.COMPLETED, []) is TransferOutcome.SIGNED_FOR  # the case file alone
    assert outcome(TransferStatus.RECALLED, [LineDecision.RECALLED]) is TransferOutcome.RECALLED
