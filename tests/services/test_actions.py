"""What each role may do with an item, a case and a transfer now (services/actions): the answer the
pages offer as buttons and the API gives as ``actions``, checked against the services that act."""

from __future__ import annotations

import pytest

from custody.domain import clock
from custody.domain.enums import CustodyState, DispositionStatus, ItemCategory, LocationState, TransferKind
from custody.domain.errors import Conflict
from custody.domain.items import ItemFacts
from custody.domain.transfers import TRANSFER_REFUSALS, check_item_transferable, transfer_problem
from custody.extensions import db
from custody.services.actions import case_actions, item_actions, transfer_actions
from custody.services.milestones import record_judgment
from custody.services.transfers import decide_lines, propose_transfer, recall_transfer

from ..factories import JUDGMENT_NO, act, agency, open_case, register, send_to_procuratorate, stored_items


def test_an_item_awaiting_check_in_is_checked_in_by_the_keeper_and_transferred_by_nobody_yet(app):
    case = open_case()
    item = register(case, category=ItemCategory.GOODS)
    assert item_actions(act("police_keeper"), item)[:1] == ["check_in"]
    officer = item_actions(act("police_officer"), item)
    assert "check_in" not in officer
    assert "transfer" not in officer
    assert "propose_correction" in officer
    assert item_actions(act("prosecutor"), item) == []  # another agency: nothing
    assert item_actions(act("auditor"), item) == []


def test_a_stored_item_is_moved_by_the_keeper_and_offered_by_the_officer(app):
    _case, [item] = stored_items(1)
    keeper = item_actions(act("police_keeper"), item)
    assert "move" in keeper
    assert "check_in" not in keeper
    assert "transfer" not in keeper
    officer = item_actions(act("police_officer"), item)
    assert "transfer" in officer
    assert "propose_disposition" in officer
    assert "move" not in officer
    assert item_actions(act("judge"), item) == []


def test_an_item_in_a_transfer_offers_no_workflow_until_it_is_decided(app):
    case, [item] = stored_items(1)
    send_to_procuratorate(case, [item.id])
    db.session.refresh(item)
    officer = item_actions(act("police_officer"), item)
    assert not {"transfer", "request_checkout", "propose_disposition"} & set(officer)
    assert "move" not in item_actions(act("police_keeper"), item)


def test_the_transfer_rule_is_asked_and_raised_from_one_place():
    cases = {
        (CustodyState.HELD, LocationState.IN_STORAGE, DispositionStatus.NONE): None,
        (CustodyState.HELD, LocationState.AWAITING_CHECK_IN, DispositionStatus.NONE): "item.not_received",
        (CustodyState.HELD, LocationState.CHECKED_OUT, DispositionStatus.NONE): "item.checked_out",
        (CustodyState.IN_TRANSFER, LocationState.IN_STORAGE, DispositionStatus.NONE): "item.in_transfer",
        (CustodyState.HELD, LocationState.IN_STORAGE, DispositionStatus.PROPOSED): "item.disposal_pending",
        (CustodyState.HELD, LocationState.GONE, DispositionStatus.EXECUTED): "item.disposed",
    }
    for state, problem in cases.items():
        facts = ItemFacts(*state)
        assert transfer_problem(facts) == problem, state
        if problem is None:
            check_item_transferable(facts)
        else:
            with pytest.raises(Conflict) as refused:
                check_item_transferable(facts)
            assert refused.value.code == problem
            assert refused.value.message == TRANSFER_REFUSALS[problem]
    # A stage transfer lists an item out on a check-out (flagged, not refused).
    assert (
        transfer_problem(
            ItemFacts(CustodyState.HELD, LocationState.CHECKED_OUT, DispositionStatus.NONE), stage=True
        )
        is None
    )


def test_case_actions_per_role(app):
    case = open_case()
    assert case_actions(db.session, act("police_officer"), case) == ["register", "transfer", "move_case"]
    assert case_actions(db.session, act("police_keeper"), case) == []
    assert case_actions(db.session, act("prosecutor"), case) == []
    assert case_actions(db.session, act("auditor"), case) == []


def _to_court(case):
    """The file goes to the procuratorate and on to the court (the items stay with the police)."""
    transfer = send_to_procuratorate(case, [])
    decide_lines(
        db.session, act("prosecutor"), transfer.id, [], accept=True, case_no=f"浦检刑诉[2026]{case.id}号"
    )
    db.session.commit()
    indictment = propose_transfer(
        db.session,
        act("prosecutor"),
        case_id=case.id,
        to_agency_id=agency("PDFY").id,
        kind=TransferKind.INDICTMENT,
        item_ids=[],
    )
    db.session.commit()
    decide_lines(
        db.session, act("judge"), indictment.id, [], accept=True, case_no=f"(2026)沪0115刑初{case.id}号"
    )
    db.session.commit()
    db.session.refresh(case)


def test_a_custodian_that_no_longer_handles_the_case_may_still_transfer_its_items(app):
    case, _stored = stored_items(1)
    _to_court(case)
    police = case_actions(db.session, act("police_officer"), case)
    assert "transfer" in police
    assert "register" not in police
    assert "move_case" not in police
    assert "transfer" in case_actions(db.session, act("judge"), case)  # the court now handles it


def test_the_judgment_is_offered_to_the_court_only_while_the_case_is_on_trial_without_one(app):
    case = open_case()
    assert "record_judgment" not in case_actions(db.session, act("judge"), case)
    _to_court(case)
    assert "record_judgment" in case_actions(db.session, act("judge"), case)
    assert "record_judgment" not in case_actions(db.session, act("police_officer"), case)
    record_judgment(db.session, act("judge"), case.id, judgment_no=JUDGMENT_NO, effective_on=clock.today())
    db.session.commit()
    db.session.refresh(case)
    assert "record_judgment" not in case_actions(db.session, act("judge"), case)


def test_transfer_actions_per_role(app):
    case, [item] = stored_items(1)
    transfer = send_to_procuratorate(case, [item.id])
    assert transfer_actions(act("police_officer"), transfer) == ["recall"]
    assert transfer_actions(act("prosecutor"), transfer) == ["sign_for"]
    assert transfer_actions(act("police_keeper"), transfer) == []
    assert transfer_actions(act("auditor"), transfer) == []
    recall_transfer(db.session, act("police_officer"), transfer.id, "送错了")
    db.session.commit()
    assert transfer_actions(act("police_officer"), transfer) == []
    assert transfer_actions(act("prosecutor"), transfer) == []
