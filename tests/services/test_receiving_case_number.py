"""Issue 14: a second, different receiving case number is refused, not dropped (nor overwritten)."""

from __future__ import annotations

import pytest

from custody.domain.enums import TransferKind
from custody.domain.errors import Conflict, InvalidInput
from custody.extensions import db
from custody.models.case import Case
from custody.services.transfers import decide_lines, needs_case_number, propose_transfer

from ..factories import act, agency, send_to_procuratorate, stored_items

FIRST_NO = "浦检刑诉[2026]12号"


def accept(transfer, item_ids, case_no, username="prosecutor"):
    decide_lines(db.session, act(username), transfer.id, item_ids, accept=True, case_no=case_no)
    db.session.commit()


def refused(transfer, item_ids, case_no, error=Conflict, username="prosecutor"):
    with pytest.raises(error) as caught:
        decide_lines(db.session, act(username), transfer.id, item_ids, accept=True, case_no=case_no)
    db.session.rollback()
    return caught.value


def test_a_later_sign_for_with_a_different_number_is_refused(app):
    case, stored = stored_items(2)
    transfer = send_to_procuratorate(case, [i.id for i in stored])
    accept(transfer, [stored[0].id], FIRST_NO)
    # Before: the second batch's number was silently dropped.
    error = refused(transfer, [stored[1].id], "浦检刑诉[2026]99号")
    assert error.code == "transfer.case_no_differs"
    assert "case_no" in error.fields
    assert FIRST_NO in str(error)
    assert db.session.get(Case, case.id).procuratorate_case_no == FIRST_NO
    accept(transfer, [stored[1].id], f"  {FIRST_NO} ")  # the same number again is fine
    assert db.session.get(Case, case.id).procuratorate_case_no == FIRST_NO


def test_a_case_sent_again_keeps_the_receivers_number(app):
    """After supplementary investigation the case comes back to the same procuratorate: its number
    stays; a different one is refused rather than overwriting it."""
    case, [item] = stored_items(1)
    accept(send_to_procuratorate(case, []), [], FIRST_NO)
    back = propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDGA").id,
        kind=TransferKind.SUPPLEMENTARY_INVESTIGATION,
        item_ids=[],
    )
    db.session.commit()
    error = refused(back, [], "沪公(浦)立字[2026]另号", username="police_officer")
    assert error.code == "transfer.case_no_differs"
    accept(back, [], None, username="police_officer")
    again = send_to_procuratorate(case, [item.id])
    assert not needs_case_number(again)  # the sign-for screen does not ask again
    assert refused(again, [item.id], "浦检刑诉[2026]77号").code == "transfer.case_no_differs"
    accept(again, [item.id], None)
    assert db.session.get(Case, case.id).procuratorate_case_no == FIRST_NO


def test_a_number_on_a_sign_for_that_records_none_is_refused(app):
    """An items-only transfer records no number: the receiver's own is accepted, another refused, and
    a number where the receiver has none is refused too (422) — never dropped without a word."""
    case, stored = stored_items(2)
    accept(send_to_procuratorate(case, []), [], FIRST_NO)  # the file alone; the police keep the items
    follow = propose_transfer(
        db.session,
        act("police_officer"),
        case_id=case.id,
        to_agency_id=agency("PDJC").id,
        kind=TransferKind.OTHER,
        item_ids=[i.id for i in stored],
    )
    db.session.commit()
    assert refused(follow, [stored[0].id], "别的号").code == "transfer.case_no_differs"
    accept(follow, [stored[0].id], FIRST_NO)
    accept(follow, [stored[1].id], None)


def test_the_domain_rule():
    from custody.domain.transfers import check_case_number, check_same_case_number

    check_same_case_number("A", None)
    check_same_case_number("A", " A ")
    with pytest.raises(Conflict):
        check_same_case_number("A", "B")
    with pytest.raises(InvalidInput) as none_on_record:
        check_same_case_number(None, "B")
    assert none_on_record.value.code == "transfer.case_no_not_recorded"
    with pytest.raises(Conflict):
        check_case_number(TransferKind.PROSECUTION, "A", "B")
    assert check_case_number(TransferKind.PROSECUTION, "A", "A") == "A"
    # An appeal or a transfer of jurisdiction records a new number of its own.
    assert check_case_number(TransferKind.APPEAL, "A", "B", always=True) == "B"
